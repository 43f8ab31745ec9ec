// One bench server on workerd: `PORT=… node bench/servers/workerd.mjs <variant>`.
// The persisted scenario's variants (persisted-roomwire, persisted-roomwire-resume) keep their Durable Objects'
// storage in DATA_DIR, as `wrangler dev --persist-to` does; the others in Miniflare's own temporary directory.
// Bundles bench/servers/workerd/<variant>.ts with esbuild and serves it with Miniflare,
// which runs it in a local workerd process (the same runtime `wrangler dev` uses, without wrangler's proxy in front).
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";

const variant = process.argv[2] ?? "raw";
const port = Number(process.env.PORT ?? 8787);
const entry = variant === "roomwire-raw" ? "roomwire" : variant.startsWith("persisted-") ? "persisted" : variant;
const here = fileURLToPath(new URL(".", import.meta.url));

const bundle = await build({
  entryPoints: [`${here}workerd/${entry}.ts`],
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["cloudflare:workers"],
  define: { BENCH_VARIANT: JSON.stringify(variant) },
  logLevel: "warning",
});

const mf = new Miniflare({
  host: "127.0.0.1",
  port,
  modules: true,
  script: bundle.outputFiles[0].text,
  // As the root wrangler.toml: the newest date the pinned workerd supports.
  compatibilityDate: "2026-04-20",
  durableObjects: { ROOMS: { className: "RoomObject", useSQLite: true } },
  ...(process.env.DATA_DIR ? { durableObjectsPersist: process.env.DATA_DIR } : {}),
  // The memory bench forces a full GC through the inspector (HeapProfiler.collectGarbage) before it reads RSS.
  ...(process.env.INSPECTOR_PORT ? { inspectorPort: Number(process.env.INSPECTOR_PORT) } : {}),
});
await mf.ready;
console.log(`bench server ${variant} on workerd listening on ${port}`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => mf.dispose().finally(() => process.exit(0)));
