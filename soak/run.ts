// roomwire's reliability suite: hostile clients against the chat app on every runtime.
//   npm run soak                          every runtime and attack, 1,000,000 fuzz frames per runtime; writes soak/RESULTS.md
//   npm run soak -- --quick               a few seconds per runtime (test/soak/soak.test.ts)
//   npm run soak -- --help                every option
import { writeFileSync } from "node:fs";
import { churn } from "./attacks/churn.ts";
import { fuzz } from "./attacks/fuzz.ts";
import { pausedReaders } from "./attacks/paused.ts";
import type { AttackResult } from "./attacks/result.ts";
import { revision, versions, writeReport } from "./report.ts";
import { startChat, type ChatServer } from "./server.ts";
import { parseArgs, type Attack, type Settings } from "./settings.ts";
import { findings, table } from "./table.ts";

const log = (line: string) => console.error(line);

/** Servers running now, so an interrupted run still stops them (they run in their own process groups). */
const live = new Set<ChatServer>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    log(`${signal}: stopping ${live.size} server(s)`);
    await Promise.all([...live].map((server) => server.stop()));
    process.exit(130);
  });
}

async function start(runtime: string): Promise<ChatServer> {
  const server = await startChat(runtime);
  live.add(server);
  return server;
}

async function stop(server: ChatServer): Promise<void> {
  await server.stop();
  live.delete(server);
}

function attack(name: Attack, server: ChatServer, settings: Settings): Promise<AttackResult> {
  if (name === "fuzz") return fuzz(server, settings, log);
  if (name === "churn") return churn(server, settings);
  return pausedReaders(server, settings, name);
}

/** A row for an attack that could not run. */
function failed(runtime: string, name: Attack, error: unknown): AttackResult {
  return {
    runtime,
    attack: name,
    framesSent: 0,
    wrong: 0,
    rss: { before: 0, peak: 0, after: 0 },
    held: 0,
    slowCloses: 0,
    p99Ms: null,
    fdPeak: 0,
    leaks: 0,
    notes: [],
    sentByKind: {},
    wrongByKind: {},
    samples: [],
    seconds: 0,
    error: String((error as Error)?.stack ?? error).split("\n").slice(0, 3).join(" "),
  };
}

const settings = parseArgs(process.argv.slice(2));
const startedAt = new Date();
const revisionAtStart = revision();
const started = performance.now();
const rows: AttackResult[] = [];
for (const runtime of settings.runtimes) {
  let shared: ChatServer | undefined;
  try {
    for (const name of settings.attacks) {
      log(`${runtime} / ${name} …`);
      let server: ChatServer | undefined;
      try {
        server = settings.shared ? (shared ??= await start(runtime)) : await start(runtime);
        const row = await attack(name, server, settings);
        rows.push(row);
        log(`${runtime} / ${name}: ${row.framesSent.toLocaleString("en-US")} frames, ${row.wrong} wrong, ${row.seconds.toFixed(1)} s`);
      } catch (error) {
        rows.push(failed(runtime, name, error));
        log(`${runtime} / ${name} failed: ${(error as Error)?.stack ?? error}${server ? `\nserver output (last 2,000 characters):\n${server.output().slice(-2000)}` : ""}`);
      } finally {
        if (server && !settings.shared) await stop(server);
      }
    }
  } finally {
    if (shared) await stop(shared);
  }
}

const seconds = (performance.now() - started) / 1000;
console.log(table(rows));
console.log(`\nWrong answers and failed bounds:\n${findings(rows)}`);
writeReport(settings.out, rows, settings, startedAt, seconds, revisionAtStart);
if (settings.json) writeFileSync(settings.json, JSON.stringify({ settings, revision: revisionAtStart, versions: versions(), startedAt, seconds, rows }, null, 2));
log(`wrote ${settings.out}${settings.json ? ` and ${settings.json}` : ""} (${seconds.toFixed(0)} s)`);
process.exit(rows.some((row) => row.error) ? 1 : 0);
