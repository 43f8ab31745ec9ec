// Bench servers (bench/servers), started and stopped through the test harness (test/support/runtimes.ts),
// and the temporary directories they keep their data in. Nothing is left behind at exit, also on Ctrl-C or a crash.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { runtime as harness } from "../../test/support/runtimes.ts";
import { freePort, startServer as startProcess } from "../../test/support/server.ts";
import type { Runtime } from "./settings.ts";

const root = resolve(import.meta.dir, "../..");
const server = (name: string) => resolve(root, "bench/servers", name);

/** Each runtime's bench server (its argument picks the variant), and its server of the persisted scenario (none on Node). */
const ENTRIES: Record<Runtime, { servers: string; persisted?: string }> = {
  bun: { servers: server("bun.ts"), persisted: server("bun-persisted.ts") },
  deno: { servers: server("deno.ts"), persisted: server("deno-persisted.ts") },
  // One Miniflare host for both; the persisted variants are named persisted-<variant>.
  workerd: { servers: server("workerd.mjs"), persisted: server("workerd.mjs") },
  node: { servers: server("node.ts") },
};

/** What must not outlive the bench (server process groups, data directories): undone at exit. */
const leftovers = new Set<() => void>();
process.on("exit", () => {
  for (const undo of leftovers) undo();
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));

/** A fresh data directory for one server, removed after it (or at exit). */
export function dataDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(os.tmpdir(), `roomwire-bench-${label}-`));
  const remove = () => {
    rmSync(path, { recursive: true, force: true });
    leftovers.delete(remove);
  };
  leftovers.add(remove);
  return { path, remove };
}

/** Whether `runtime` has a server of the persisted scenario. */
export const hasPersisted = (runtime: Runtime) => ENTRIES[runtime].persisted !== undefined;

export interface Server {
  url: string;
  /** A full garbage collection in the server (Bun: Bun.gc; Deno and Node: gc(); workerd: a heap snapshot through the inspector); answers the JS heap in use after it, bytes. */
  gc(): Promise<number>;
  /** The process whose RSS and CPU are the server's (for workerd: the workerd process Miniflare started). */
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** The memory bench collects garbage in it (on workerd this opens the inspector). */
  gc?: boolean;
  /** A server of the persisted scenario, keeping its database in `dataDir`. */
  persisted?: { dataDir: string };
}

/** Starts `runtime`'s bench server of `variant` and waits until it answers /health. */
export async function startServer(runtime: Runtime, variant: string, options: ServerOptions = {}): Promise<Server> {
  const port = await freePort();
  // workerd's GC goes through the inspector, opened only for the memory bench.
  const inspectorPort = runtime === "workerd" && options.gc ? await freePort() : undefined;
  const entries = ENTRIES[runtime];
  const entry = options.persisted ? entries.persisted : entries.servers;
  if (!entry) throw new Error(`${runtime} has no server of the persisted scenario`);
  const argument = options.persisted && runtime === "workerd" ? `persisted-${variant}` : variant;
  // Every server but the persisted ones can collect garbage on request (GET /__gc), whether or not it is asked to.
  const command = harness(runtime).command(entry, { args: [argument], gc: !options.persisted });
  const env: Record<string, string> = { PORT: String(port) };
  if (options.persisted) env.DATA_DIR = options.persisted.dataDir;
  if (inspectorPort) env.INSPECTOR_PORT = String(inspectorPort);
  const running = await startProcess(command, env, 60_000).catch((error: Error) => {
    throw new Error(`${runtime}/${variant} server: ${error.message}`);
  });
  const abandon = () => {
    try {
      process.kill(-running.process.pid!, "SIGKILL");
    } catch {
      // gone already
    }
  };
  leftovers.add(abandon);
  const stop = async () => {
    await running.stop("SIGTERM", 3_000);
    leftovers.delete(abandon);
  };
  let pid: number;
  try {
    pid = harness(runtime).serverProcess(running.process.pid!);
  } catch (error) {
    await stop();
    throw error;
  }
  const gc = async () => {
    if (inspectorPort) return inspectorGc(inspectorPort);
    if (runtime === "workerd") throw new Error("start the workerd server with { gc: true } to collect garbage");
    const response = await fetch(`${running.url}/__gc`);
    if (!response.ok) throw new Error(`GET /__gc answered ${response.status}`);
    return ((await response.json()) as { heapUsed: number }).heapUsed;
  };
  return { url: running.wsUrl, pid, gc, output: running.output, stop };
}

/**
 * A full GC in every isolate of a workerd process, through its inspector.
 * workerd's inspector does not answer HeapProfiler.collectGarbage, so this
 * takes a heap snapshot (V8 collects garbage fully before it takes one) and
 * throws the snapshot away. Answers the JS heap in use, over all isolates.
 */
async function inspectorGc(port: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  let heap = 0;
  for (const { webSocketDebuggerUrl } of targets) {
    heap += await new Promise<number>((done, reject) => {
      const ws = new WebSocket(webSocketDebuggerUrl.replace("//localhost:", "//127.0.0.1:"));
      const timer = setTimeout(() => reject(new Error(`inspector ${webSocketDebuggerUrl}: no answer`)), 30_000);
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: "HeapProfiler.takeHeapSnapshot", params: { reportProgress: false } }));
      ws.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: { usedSize: number } };
        if (message.id === 1) ws.send(JSON.stringify({ id: 2, method: "Runtime.getHeapUsage" }));
        if (message.id !== 2) return;
        clearTimeout(timer);
        ws.close();
        done(message.result!.usedSize);
      };
      ws.onerror = () => reject(new Error(`inspector ${webSocketDebuggerUrl}: socket error`));
    });
  }
  return heap;
}
