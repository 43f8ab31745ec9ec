// Request/reply over the event-stream fallback against the same over a WebSocket: one chat server (examples/chat)
// on one runtime, one client at a time sending `who` and awaiting the reply, sequentially, at most 40 a second (the
// chat's rate limit is 50/s after a burst of 100); p50/p99/max in ms.
// Run: node --import tsx bench/fallback.ts [runtime=bun] [requests=400]
import WebSocket from "ws";
import { connect, type RoomClient } from "../src/client/index.ts";
import type { chat } from "../examples/chat/room.ts";
import { runtime } from "../test/support/runtimes.ts";
import { freePort, removeDir, startServer, tempDir } from "../test/support/server.ts";

const name = process.argv[2] ?? "bun";
const requests = Number(process.argv[3] ?? 400);
const WARMUP = 20;
/** Requests start at least this far apart: under the room's rate limit. */
const SPACING_MS = 25;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function open(url: string, transport: "websocket" | "sse"): Promise<RoomClient<typeof chat>> {
  const client = connect<typeof chat>(url, { query: { user: transport === "sse" ? "stream" : "socket" }, WebSocket, transport, heartbeat: false });
  await new Promise<void>((resolve, reject) => {
    client.onStatus((event) => (event.status === "open" ? resolve() : event.status === "closed" ? reject(event.error) : undefined));
  });
  return client;
}

async function measure(url: string, transport: "websocket" | "sse"): Promise<number[]> {
  const client = await open(url, transport);
  const times: number[] = [];
  for (let i = 0; i < WARMUP + requests; i++) {
    const start = performance.now();
    await client.request("who");
    const took = performance.now() - start;
    if (i >= WARMUP) times.push(took);
    await sleep(Math.max(0, SPACING_MS - took));
  }
  client.close();
  return times.sort((a, b) => a - b);
}

const dir = tempDir("roomwire-bench-fallback-");
const target = runtime(name);
const server = await startServer(target.command(target.apps.chat), { PORT: String(await freePort()), DATA_DIR: dir });
try {
  const url = `${server.wsUrl}/rooms/chat/bench-${Date.now()}`;
  const rows: [string, number[]][] = [];
  // Alternated, twice each, so neither transport always runs on a warmer process.
  for (const transport of ["websocket", "sse", "websocket", "sse"] as const) rows.push([transport, await measure(url, transport)]);
  const merged = (transport: string) => rows.filter(([each]) => each === transport).flatMap(([, times]) => times).sort((a, b) => a - b);
  const ws = merged("websocket");
  const sse = merged("sse");
  const fmt = (value: number) => value.toFixed(2);
  console.log(`\nRequest/reply (\`who\`) on ${name}, ${2 * requests} sequential requests per transport after ${WARMUP} to warm up, one client:\n`);
  console.log("| transport | p50 ms | p99 ms | max ms |");
  console.log("| --- | --: | --: | --: |");
  for (const [label, times] of [["WebSocket", ws], ["event stream + POST", sse]] as const) {
    console.log(`| ${label} | ${fmt(percentile(times, 50))} | ${fmt(percentile(times, 99))} | ${fmt(times.at(-1)!)} |`);
  }
  console.log(`\nfallback ÷ WebSocket: p50 ${(percentile(sse, 50) / percentile(ws, 50)).toFixed(2)}×, p99 ${(percentile(sse, 99) / percentile(ws, 99)).toFixed(2)}×\n`);
} finally {
  await server.stop();
  removeDir(dir);
}
