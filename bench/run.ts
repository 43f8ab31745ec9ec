// roomwire's benchmark: roomwire against the raw runtimes, crossws and Hono, on Bun, Deno, workerd and Node.
//   npm run bench                       the default bench (about 13 minutes on 2 cores); prints a table, writes bench/RESULTS.md and bench/results.json
//   npm run bench -- --scenario persisted   only the persisted scenario (a stored room against hand-written storage code); prints its table
//   npm run bench -- --smoke            a few seconds, tiny sizes: checks the harness works (test/bench/smoke.test.ts)
//   npm run bench -- --help             every setting
// The coordinator (this file) runs on Bun; it starts each server as its own process (lib/servers.ts, through
// test/support/runtimes.ts), and the load clients (bench/client.ts) as further Bun processes (lib/clients.ts).
// One file per measurement in measure/: fan-out, request/reply, memory, persisted.
import { writeFileSync } from "node:fs";
import os from "node:os";
import { bench as start } from "./lib/bench.ts";
import { machine, renderMarkdown } from "./lib/report.ts";
import { hasPersisted, startServer, type Server } from "./lib/servers.ts";
import { parseArgs, type Runtime } from "./lib/settings.ts";
import { renderTable, renderTargets, summarise, type Row } from "./lib/summary.ts";
import { measureFanout } from "./measure/fanout.ts";
import { measureMemory } from "./measure/memory.ts";
import { measurePersisted, persistedRows, renderPersisted, summarisePersisted } from "./measure/persisted.ts";
import { measureRequestReply } from "./measure/request-reply.ts";

const settings = parseArgs(process.argv.slice(2));
const bench = start(settings);
const { log } = bench;
const info = machine();
const loadBefore = os.loadavg();
const started = Date.now();
const phases = settings.phases;
const rows: Row[] = settings.runtimes.flatMap((runtime) => settings.variants.map((variant) => ({ runtime, variant, fanout: [], rtt: [], memory: [], errors: [] })));
const persistedRowList = phases.includes("persisted") ? persistedRows(settings) : [];
log(`roomwire bench: ${settings.runs} run(s) × ${settings.runtimes.join(", ")} × ${settings.variants.join(", ")}; ${phases.join(", ")}; load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`);

for (const runtime of settings.runtimes) {
  const rowOf = (variant: string) => rows.find((r) => r.runtime === runtime && r.variant === variant)!;
  // Fan-out and request/reply: every variant's server runs at once (idle while another is measured),
  // and the passes interleave them, so a change in the machine's load falls on all of them alike.
  if (phases.includes("fanout") || phases.includes("rtt")) {
    const servers = await startAll(runtime, rowOf);
    try {
      if (phases.includes("fanout")) await measureFanout(bench, runtime, servers, rowOf);
      if (phases.includes("rtt")) await measureRequestReply(bench, runtime, servers, rowOf);
    } finally {
      await Promise.all([...servers.values()].map((server) => server.stop()));
    }
  }
  // Memory: a fresh server process for every measurement.
  if (phases.includes("memory")) await measureMemory(bench, runtime, rowOf);
  if (phases.includes("persisted") && hasPersisted(runtime)) await measurePersisted(bench, runtime, persistedRowList);
}

const loadAfter = os.loadavg();
const seconds = (Date.now() - started) / 1000;
const summary = summarise(rows, settings);
const persisted = summarisePersisted(persistedRowList, settings);
const report = { machine: info, load: { before: loadBefore, after: loadAfter }, seconds, settings, rows: summary, raw: rows, persisted: { rows: persisted, raw: persistedRowList } };
const table = renderTable(summary, settings);
const persistedTable = renderPersisted(persisted);
if (phases.some((phase) => phase !== "persisted")) {
  console.log(table);
  console.log(renderTargets(summary, settings));
}
if (persisted.length > 0) console.log(`\npersisted (messages accepted per second):\n${persistedTable}`);
const done = `${seconds.toFixed(0)} s; load average ${loadAfter.map((l) => l.toFixed(2)).join(" ")}`;
const written: string[] = [];
if (settings.write.json) {
  writeFileSync(settings.json, JSON.stringify(report, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2) + "\n");
  written.push(settings.json);
}
if (settings.write.out) {
  writeFileSync(settings.out, renderMarkdown(report, table, summary, persistedTable, persisted, settings));
  written.push(settings.out);
}
log(written.length > 0 ? `wrote ${written.join(" and ")} in ${done}` : `done in ${done} (a run of some scenarios writes only the files --out and --json name)`);
if (rows.some((row) => row.errors.length > 0) || persistedRowList.some((row) => row.errors.length > 0)) process.exitCode = 1;

/** Every variant's server on `runtime`; one that fails to start is recorded on its row and left out. */
async function startAll(runtime: Runtime, rowOf: (variant: string) => Row): Promise<Map<string, Server>> {
  const servers = new Map<string, Server>();
  for (const variant of settings.variants) {
    try {
      servers.set(variant, await startServer(runtime, variant));
    } catch (error) {
      bench.failed(rowOf(variant), "start", error);
    }
  }
  return servers;
}
