import { execFile } from "node:child_process";
import { cpSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNodeCurrent, NODE_CURRENT_VERSION } from "../../scripts/node-current.mjs";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";

/**
 * The package as a user gets it: `npm pack` once (which builds dist/), then a
 * fresh project outside the repository installs the tarball, offline, and
 * every toolchain uses it from node_modules.
 */
const root = resolve(import.meta.dirname, "../..");
const bin = (name: string) => join(root, "node_modules/.bin", name);
const packDir = tempDir("roomwire-pack-");
const project = tempDir("roomwire-consumer-");
const denoDir = tempDir("roomwire-consumer-deno-");
const ENTRY_POINTS = ["src/index", "src/client/index", "src/testing/index", "adapters/bun/index", "adapters/deno/index", "adapters/node/index", "adapters/cloudflare/index", "adapters/redis/index"];

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** Runs a command to completion; resolves with its stdout followed by its stderr (or only stdout). */
async function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}, only?: "stdout"): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 64 * 1024 * 1024 });
    return only ? stdout : stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${failed.stdout ?? ""}${failed.stderr ?? ""}${failed.message}`);
  }
}

/** The JSON array `npm pack --json` prints after whatever the prepack build printed. */
function packResult(output: string): Packed {
  return (JSON.parse(output.slice(output.lastIndexOf("\n[") + 1)) as Packed[])[0]!;
}

let packed: Packed;

describe("the installed package", () => {
  beforeAll(async () => {
    packed = packResult(await run("npm", ["pack", "--json", "--pack-destination", packDir], root, {}, "stdout"));
    cpSync(join(root, "test/package/consumer"), project, { recursive: true });
    // Offline: the package from its tarball; what it depends on (and the consumer's tools' types) copied from this repository's node_modules.
    const local = ["hono", "valibot", "ws", "@hono/node-server", "@types/ws", "@types/node", "undici-types", "@cloudflare/workers-types"].map((name) => join(root, "node_modules", name));
    await run("npm", ["install", "--offline", "--install-links", "--no-audit", "--no-fund", "--ignore-scripts", join(packDir, packed.filename), ...local], project);
  }, 180_000);

  afterAll(() => {
    removeDir(packDir);
    removeDir(project);
    removeDir(denoDir);
  });

  it("ships JavaScript and declarations for every entry point, the README and LICENSE, and no tests", () => {
    const files = new Set(packed.files.map((file) => file.path));
    for (const entry of ENTRY_POINTS) {
      for (const ext of [".js", ".d.ts", ".d.ts.map"]) expect(files, `dist/${entry}${ext}`).toContain(`dist/${entry}${ext}`);
    }
    expect(files).toContain("README.md");
    expect(files).toContain("LICENSE");
    expect([...files].filter((path) => /(^|\/)test\/|\.test\.|\.test-d\./.test(path))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(project, "node_modules/@roomwire/roomwire/package.json"), "utf8"));
    for (const [subpath, conditions] of Object.entries(manifest.exports as Record<string, string | { types: string; import: string }>)) {
      if (typeof conditions === "string") continue;
      expect(statSync(join(project, "node_modules/@roomwire/roomwire", conditions.types)).isFile(), subpath).toBe(true);
      expect(statSync(join(project, "node_modules/@roomwire/roomwire", conditions.import)).isFile(), subpath).toBe(true);
    }
    console.log(`${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.files.length} files`);
  });

  for (const runtime of ["bun", "deno"] as const) {
    it(`${runtime} serves a room from the installed package, and a Node ESM client talks to it`, async () => {
      const port = await freePort();
      const command =
        runtime === "bun"
          ? [bin("bun"), join(project, "bun-server.ts")]
          : // No --unstable-kv: memory mode needs no Deno KV.
            [bin("deno"), "run", "--allow-net", "--allow-env", "--allow-read", join(project, "deno-server.ts")];
      let server: RunningServer | undefined;
      try {
        server = await startServer(command, { PORT: String(port), DENO_DIR: denoDir });
        const output = await run(process.execPath, [join(project, "client.mjs"), server.url, runtime], project);
        const result = JSON.parse(output.trim().split("\n").at(-1)!) as { said: { text: string; user: string; n: number }; count: number };
        expect(result).toEqual({ said: { text: `hello from node ${process.version}`, user: runtime, n: 1 }, count: 1 });
      } finally {
        await server?.stop();
      }
    }, 90_000);
  }

  it(`node ${NODE_CURRENT_VERSION} serves a room from the installed package with node:sqlite storage, and a Node ${process.version} ESM client talks to it`, async () => {
    const dataDir = tempDir("roomwire-consumer-node-");
    let server: RunningServer | undefined;
    try {
      // A current Node has node:sqlite built in (on Node 20 the package wants better-sqlite3, which has to be compiled on install).
      server = await startServer([ensureNodeCurrent(), join(project, "node-server.mjs")], { PORT: String(await freePort()), DATA_DIR: dataDir });
      const running = server;
      const output = await run(process.execPath, [join(project, "client.mjs"), server.url, "node"], project).catch((error: Error) => {
        throw new Error(`${error.message}\nserver output:\n${running.output()}`);
      });
      const result = JSON.parse(output.trim().split("\n").at(-1)!) as { said: { text: string; user: string; n: number }; count: number };
      expect(result).toEqual({ said: { text: `hello from node ${process.version}`, user: "node", n: 1 }, count: 1 });
      expect(statSync(join(dataDir, "rooms.sqlite")).isFile()).toBe(true);
    } finally {
      await server?.stop();
      removeDir(dataDir);
    }
  }, 90_000);

  it("wrangler deploy --dry-run bundles a Worker with a room from the installed package", async () => {
    const output = await run(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "out"], project, { WRANGLER_SEND_METRICS: "false" });
    expect(output).toContain("env.ROOMS (RoomObject)");
    const bundle = readFileSync(join(project, "out/worker.js"));
    expect(bundle.toString()).toContain("roomwire_room");
    console.log(`Worker bundle: ${bundle.length} bytes, ${gzipSync(bundle).length} gzipped`);
  }, 90_000);

  for (const config of ["nodenext", "bundler", "workers"]) {
    it(`a consumer's tsc --noEmit passes with tsconfig.${config}.json`, async () => {
      await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", `tsconfig.${config}.json`], project);
    }, 90_000);
  }

  it("esbuild bundles the client for a browser with no hono, valibot or server code in it", async () => {
    const result = await build({
      entryPoints: [join(project, "browser.ts")],
      absWorkingDir: project,
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    const fromPackage = inputs.filter((input) => input.includes("node_modules/"));
    expect(fromPackage.length).toBeGreaterThan(0);
    // Only the client's own modules (and the wire protocol it shares with the server) may be in a browser bundle.
    expect(fromPackage.filter((input) => !/node_modules\/@roomwire\/roomwire\/dist\/src\/(client\/[^/]+|protocol)\.js$/.test(input))).toEqual([]);
    const bundle = result.outputFiles[0]!.contents;
    console.log(`browser client bundle: ${bundle.length} bytes minified, ${gzipSync(bundle).length} gzipped`);
  });
});
