// Memory per idle connection: a fresh server, its RSS after a full GC with no connection, then with many idle ones.
import type { Bench, Failing } from "../lib/bench.ts";
import { startClients, type Client } from "../lib/clients.ts";
import { rssKiB } from "../lib/proc.ts";
import { startServer, type Server } from "../lib/servers.ts";
import type { Runtime, Settings } from "../lib/settings.ts";
import { rotate } from "../lib/stats.ts";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface MemoryFigures {
  /** Server RSS with no connection (after one warm-up connection has come and gone), KiB. */
  base: number;
  /** RSS difference per idle connection at each count, bytes; NaN where it could not be measured. */
  perConnection: Record<number, number>;
  /** JS heap in use (after a full GC) per idle connection at each count, bytes: what the server's JavaScript keeps per connection. */
  heapPerConnection: Record<number, number>;
  notes: string[];
  /** How long the connects and reads took, for tuning the bench. */
  timings: string[];
}

/** RSS (KiB) after a full GC, once it has settled: the lowest of a few reads; and the JS heap in use (bytes). */
async function settledRss(server: Server, settleMs: number): Promise<{ rss: number; heap: number }> {
  const heap = await server.gc();
  await sleep(settleMs);
  const reads: number[] = [];
  for (let i = 0; i < 3; i++) {
    reads.push(rssKiB(server.pid));
    await sleep(50);
  }
  return { rss: Math.min(...reads), heap };
}

async function measureOnce(runtime: Runtime, variant: string, settings: Settings, run: number): Promise<MemoryFigures> {
  const server = await startServer(runtime, variant, { gc: true });
  const clients: Client[] = [];
  const figures: MemoryFigures = { base: 0, perConnection: {}, heapPerConnection: {}, notes: [], timings: [] };
  try {
    // Warm up the upgrade and message paths once, in another room, so their code is loaded before the baseline.
    const warm = await startClients(1, 2, { kind: "fanout", url: server.url, room: `warm-${run}`, peers: 2 }, "w");
    warm[0]!.send({ cmd: "arm", messages: 5, window: 5 });
    await warm[0]!.next();
    warm[0]!.send({ cmd: "go" });
    await warm[0]!.next();
    await warm[0]!.stop();
    if (settings.warmConnections > 0) {
      const idle = await startClients(1, settings.warmConnections, { kind: "idle", url: server.url, room: `warm-idle-${run}` }, "v");
      await Promise.all(idle.map((client) => client.stop()));
    }
    const base = await settledRss(server, settings.settleMs);
    figures.base = base.rss;
    let open = 0;
    for (const target of [...settings.idle].sort((a, b) => a - b)) {
      const more = target - open;
      // Up to 5,000 connections per client process.
      const procs = Math.max(1, Math.ceil(more / 5000));
      try {
        const t = Date.now();
        const started = await startClients(procs, more, { kind: "idle", url: server.url, room: `idle-${run}` }, `i${open}-`);
        figures.timings.push(`${more} connections in ${Date.now() - t} ms`);
        clients.push(...started);
        open = target;
        const t2 = Date.now();
        const now = await settledRss(server, settings.settleMs);
        figures.timings.push(`gc and rss in ${Date.now() - t2} ms`);
        figures.perConnection[target] = ((now.rss - base.rss) * 1024) / target;
        figures.heapPerConnection[target] = (now.heap - base.heap) / target;
      } catch (error) {
        figures.perConnection[target] = Number.NaN;
        figures.notes.push(`${target} idle connections: ${(error as Error).message.split("\n")[0]}`);
        break;
      }
    }
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
    await server.stop();
  }
  return figures;
}

/** A row that takes memory figures. */
export interface MemoryRow extends Failing {
  memory: MemoryFigures[];
}

/** Memory on one runtime: a fresh server process for every measurement, the variants in a rotated order each pass. */
export async function measureMemory(bench: Bench, runtime: Runtime, rowOf: (variant: string) => MemoryRow): Promise<void> {
  const { settings, log } = bench;
  const t = Date.now();
  for (let pass = 0; pass < settings.runs; pass++) {
    for (const variant of rotate(settings.variants, pass)) {
      const row = rowOf(variant);
      try {
        row.memory.push(await measureOnce(runtime, variant, settings, pass + 1));
      } catch (error) {
        bench.failed(row, `memory pass ${pass + 1}`, error);
      }
    }
  }
  for (const variant of settings.variants) {
    const figures = rowOf(variant).memory;
    log(`${runtime}/${variant} KiB per idle connection (JS heap): ${figures.map((m) => settings.idle.map((n) => `@${n} ${(m.perConnection[n]! / 1024).toFixed(2)} (${(m.heapPerConnection[n]! / 1024).toFixed(2)})`).join(" ")).join(", ")}`);
  }
  log(`${runtime} memory took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
