// What a cluster costs: the chat app (examples/chat) on one plain Bun process against the same on a cluster of three
// Bun processes sharing one redis-server (REDIS_URL), all on 127.0.0.1; then one Deno process against three sharing
// Deno KV over KV Connect (KV_URL), as the instances of a Deno Deploy app do.
//  1. Request/reply (`who`), one client, sequential: single process; cluster, client on the room's owner; cluster,
//     client on another process (its request goes to the owner by mail and the reply comes back by mail).
//  2. Fan-out: 30 listeners and one sender in a room; per `say`, the time from the send until the last listener has
//     the `said`. Single process (all on it) against the cluster (listeners 10/10/10, sender on the owner).
//  3. One Redis hop as the cluster's inboxes make it: XADD (pipelined with PEXPIRE, as the mailbox sends) until a reader
//     blocked in XREAD on that stream has the entry; and a PING round trip for scale.
// Everything is spaced under the chat's rate limit (50/s after a burst of 100): at most 40 a second per connection.
// Run: node --import tsx bench/cluster.ts [messages=300]
import WebSocket from "ws";
import { connect, type RoomClient } from "../src/client/index.ts";
import type { chat } from "../examples/chat/room.ts";
import { startCluster, type RunningCluster } from "../test/support/cluster.ts";
import { runtime } from "../test/support/runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../test/support/server.ts";

const messages = Number(process.argv[2] ?? 300);
if (!(Number.isInteger(messages) && messages >= 10)) throw new Error(`messages must be an integer of at least 10; got ${process.argv[2]}`);
const WARMUP = 20;
/** Requests and messages start at least this far apart: under the room's rate limit. */
const SPACING_MS = 25;
const LISTENERS = 30;
const HOP_SAMPLES = 200;
/** How long the fan-out waits after its last send for what is still on the way before it counts it lost. */
const DRAIN_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Chat = RoomClient<typeof chat>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Every client the bench opened: closed in `finally`, before the servers stop (else they would reconnect). */
const clients: Chat[] = [];

/** A client of `room` on `server`, once the room has welcomed it (its `connect` hook ran, on the owner in a cluster). */
async function join(server: RunningServer, room: string, user: string): Promise<{ client: Chat; id: string }> {
  const client = connect<typeof chat>(`${server.wsUrl}/rooms/chat/${room}`, { query: { user }, WebSocket, transport: "websocket", heartbeat: false });
  clients.push(client);
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${user} was not welcomed to ${room} on ${server.url} within 10 s`)), 10_000);
    client.on("welcome", ({ id }) => (clearTimeout(timer), resolve(id)));
    client.onStatus((event) => event.status === "closed" && (clearTimeout(timer), reject(event.error ?? new Error(`${user}: closed (${event.code} ${event.reason})`))));
  });
  return { client, id };
}

/** `who` latencies of a client on the owner and one on another process, alternated half and half so neither always runs on warmer processes; sorted. */
async function nearAndFar(nearClient: Chat, farClient: Chat): Promise<{ near: number[]; far: number[] }> {
  const near: number[] = [];
  const far: number[] = [];
  for (let round = 0; round < 2; round++) {
    const count = round === 0 ? Math.ceil(messages / 2) : Math.floor(messages / 2);
    near.push(...(await whoLatency(nearClient, count)));
    far.push(...(await whoLatency(farClient, count)));
  }
  return { near: near.sort((a, b) => a - b), far: far.sort((a, b) => a - b) };
}

/** `who` requests from `client` one after another, at least SPACING_MS apart: the last `count` timed, after WARMUP. */
async function whoLatency(client: Chat, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + count; i++) {
    const start = performance.now();
    await client.request("who");
    const took = performance.now() - start;
    if (i >= WARMUP) times.push(took);
    await sleep(Math.max(0, SPACING_MS - took));
  }
  return times;
}

interface FanOut {
  /** Send until the last listener had it, ms, of the messages every listener got (sorted). */
  times: number[];
  /** Messages some listener never got within DRAIN_MS of the last send. */
  lost: number;
  /** `said` frames a listener got twice. */
  duplicates: number;
  /** `said` frames a listener got after a later message. */
  reordered: number;
}

/**
 * The sender sends WARMUP + `count` `say`s, one every SPACING_MS (open loop: a slow delivery does not hold the next
 * send back); each listener counts the ones it gets, matched on the text.
 */
async function fanOut(sender: Chat, listeners: Chat[], count: number, tag: string): Promise<FanOut> {
  const total = WARMUP + count;
  const sentAt: number[] = [];
  const doneAt: (number | undefined)[] = [];
  const got = new Array<number>(total).fill(0);
  let duplicates = 0;
  let reordered = 0;
  let finished = 0;
  let allDone: () => void = () => {};
  const everything = new Promise<void>((resolve) => (allDone = resolve));
  const prefix = `${tag}-`;
  const unsubscribe = listeners.map((listener) => {
    const seen = new Set<number>();
    let last = -1;
    return listener.on("said", ({ text }) => {
      if (!text.startsWith(prefix)) return;
      const i = Number(text.slice(prefix.length));
      if (seen.has(i)) return void duplicates++;
      seen.add(i);
      if (i < last) reordered++;
      last = Math.max(last, i);
      if (++got[i]! === listeners.length) {
        doneAt[i] = performance.now();
        if (++finished === total) allDone();
      }
    });
  });
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    await sleep(Math.max(0, start + i * SPACING_MS - performance.now()));
    sentAt[i] = performance.now();
    sender.send("say", { text: `${prefix}${i}` });
  }
  await Promise.race([everything, sleep(DRAIN_MS)]);
  for (const off of unsubscribe) off();
  const times: number[] = [];
  let lost = 0;
  for (let i = WARMUP; i < total; i++) {
    const done = doneAt[i];
    if (done === undefined) lost++;
    else times.push(done - sentAt[i]!);
  }
  return { times: times.sort((a, b) => a - b), lost, duplicates, reordered };
}

/** The process holding the room's lease, and the process each of its connections is recorded on (redis keys of adapters/redis). */
async function placement(cluster: RunningCluster, room: string): Promise<{ holder: string | null; processOf: Map<string, string> }> {
  const redis = cluster.redis.client();
  try {
    const token = await redis.get(`roomwire:{chat/${room}}:lease`);
    const records = await redis.hgetall(`roomwire:{chat/${room}}:conns`);
    const processOf = new Map(Object.values(records).map((text) => JSON.parse(text) as { conn: string; process: string }).map((record) => [record.conn, record.process]));
    return { holder: token === null ? null : token.slice(0, token.indexOf(":")), processOf };
  } finally {
    redis.disconnect();
  }
}

/** Waits until connection `id` of `room` is recorded (the record is written in the background); its process. */
async function processOfConnection(cluster: RunningCluster, room: string, id: string): Promise<{ holder: string | null; process: string }> {
  for (let tries = 0; ; tries++) {
    const { holder, processOf } = await placement(cluster, room);
    const process = processOf.get(id);
    if (process !== undefined) return { holder, process };
    if (tries > 50) throw new Error(`connection ${id} of ${room} is not recorded in Redis (records: ${JSON.stringify([...processOf])})`);
    await sleep(50);
  }
}

/** Round trips on `cluster`'s Redis: PING, and XADD until a reader blocked in XREAD has the entry. */
async function redisHops(cluster: RunningCluster): Promise<{ ping: number[]; hop: number[] }> {
  const writer = cluster.redis.client();
  const reader = cluster.redis.client();
  const key = `bench:hop:${Date.now()}`;
  try {
    await Promise.all([writer.ping(), reader.ping()]);
    const ping: number[] = [];
    for (let i = 0; i < WARMUP + HOP_SAMPLES; i++) {
      const start = performance.now();
      await writer.ping();
      if (i >= WARMUP) ping.push(performance.now() - start);
    }
    const hop: number[] = [];
    let lastId = "0-0";
    for (let i = 0; i < WARMUP + HOP_SAMPLES; i++) {
      // From the last id seen, not "$": an entry added before the read blocks is still found (it would then only be
      // faster), never missed.
      const read = reader.xread("BLOCK", 0, "STREAMS", key, lastId) as Promise<[string, [string, string[]][]][] | null>;
      await sleep(2); // the read reaches Redis and blocks
      const start = performance.now();
      void writer.pipeline().xadd(key, "MAXLEN", "~", 100_000, "*", "m", JSON.stringify({ i })).pexpire(key, 60_000).exec();
      const batch = await read;
      const took = performance.now() - start;
      lastId = batch![0]![1].at(-1)![0];
      if (i >= WARMUP) hop.push(took);
    }
    await writer.del(key);
    return { ping: ping.sort((a, b) => a - b), hop: hop.sort((a, b) => a - b) };
  } finally {
    writer.disconnect();
    reader.disconnect();
  }
}

/** What the processes printed beyond their start line: errors, warnings. */
function noise(label: string, server: RunningServer): string[] {
  return server
    .output()
    .split("\n")
    .filter((line) => line.trim() !== "" && !/^chat listening on /.test(line))
    .map((line) => `${label}: ${line}`);
}

const fmt = (value: number) => value.toFixed(2);
const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}×`;
const stats = (times: number[]) => ({ p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1)! });
const run = Date.now().toString(36);

type Stats = ReturnType<typeof stats>;

/** A table of latencies, each row with its ratios to the first row's (named `base`). */
function latencyTable(base: string, rows: [string, Stats][]): void {
  const first = rows[0]![1];
  console.log(`| setup | p50 ms | p99 ms | max ms | p50 ÷ (${base}) | p99 ÷ (${base}) |`);
  console.log("| --- | --: | --: | --: | --: | --: |");
  for (const [label, s] of rows) console.log(`| ${label} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${ratio(s.p50, first.p50)} | ${ratio(s.p99, first.p99)} |`);
}
const began = performance.now();

const dir = tempDir("roomwire-bench-cluster-");
const bun = runtime("bun");
let single: RunningServer | undefined;
let cluster: RunningCluster | undefined;
try {
  // ---- (a) one plain Bun process, no Redis ----
  single = await startServer(bun.command(bun.apps.chat), { PORT: String(await freePort()), DATA_DIR: dir });
  const singleWho = await (async () => {
    const { client } = await join(single!, `who-${run}`, "single");
    const times = await whoLatency(client, messages);
    client.close();
    return times.sort((a, b) => a - b);
  })();
  const singleFan = await (async () => {
    const room = `fan-${run}`;
    const { client: sender } = await join(single!, room, "sender");
    const listeners = await Promise.all(Array.from({ length: LISTENERS }, (_, i) => join(single!, room, `listener${i}`).then(({ client }) => client)));
    const { peers } = await sender.request("who");
    if (peers.length !== LISTENERS + 1) throw new Error(`single: the sender sees ${peers.length} peers, not ${LISTENERS + 1}`);
    const result = await fanOut(sender, listeners, messages, `s${run}`);
    for (const client of [sender, ...listeners]) client.close();
    return result;
  })();
  await single.stop();

  // ---- (b), (c): three Bun processes on one redis-server ----
  cluster = await startCluster("chat", ["bun", "bun", "bun"]);
  const [owner, other, third] = cluster.servers as [RunningServer, RunningServer, RunningServer];

  const whoRoom = `who-${run}`;
  // The room's first socket makes its process the owner: this one, kept open throughout.
  const anchor = await join(owner, whoRoom, "anchor");
  const onOwner = await join(owner, whoRoom, "near");
  const onOther = await join(other, whoRoom, "far");
  const anchorAt = await processOfConnection(cluster, whoRoom, anchor.id);
  const nearAt = await processOfConnection(cluster, whoRoom, onOwner.id);
  const farAt = await processOfConnection(cluster, whoRoom, onOther.id);
  if (anchorAt.holder !== anchorAt.process || nearAt.process !== anchorAt.process) throw new Error(`cluster: the owner of ${whoRoom} is ${anchorAt.holder}, not the anchor's process ${anchorAt.process}`);
  if (farAt.process === farAt.holder) throw new Error(`cluster: the "far" client is on the owner ${farAt.holder}`);
  const { near, far } = await nearAndFar(onOwner.client, onOther.client);
  for (const client of [onOwner.client, onOther.client, anchor.client]) client.close();

  const clusterFan = await (async () => {
    const room = `fan-${run}`;
    const sender = await join(owner, room, "sender");
    const spread = [owner, other, third];
    const listeners = await Promise.all(Array.from({ length: LISTENERS }, (_, i) => join(spread[i % 3]!, room, `listener${i}`).then(({ client }) => client)));
    const at = await processOfConnection(cluster!, room, sender.id);
    if (at.holder !== at.process) throw new Error(`cluster: the owner of ${room} is ${at.holder}, not the sender's process ${at.process}`);
    const { peers } = await sender.client.request("who");
    if (peers.length !== LISTENERS + 1) throw new Error(`cluster: the sender sees ${peers.length} peers, not ${LISTENERS + 1}`);
    const result = await fanOut(sender.client, listeners, messages, `c${run}`);
    for (const client of [sender.client, ...listeners]) client.close();
    return result;
  })();

  const hops = await redisHops(cluster);
  await cluster.stop();
  cluster = undefined;

  // ---- (d), (e), (f): Deno alone, and three Deno processes sharing Deno KV over KV Connect (as on Deno Deploy) ----
  const deno = runtime("deno");
  single = await startServer(deno.command(deno.apps.chat), { PORT: String(await freePort()), DATA_DIR: dir });
  const denoSingle = await (async () => {
    const { client } = await join(single!, `who-deno-${run}`, "single");
    const times = await whoLatency(client, messages);
    client.close();
    return times.sort((a, b) => a - b);
  })();
  await single.stop();
  single = undefined;
  cluster = await startCluster("chat", ["deno", "deno", "deno"], { REDIS_URL: "" }, { kvConnect: true });
  const kvRoom = `who-kv-${run}`;
  // The first socket of the room makes its process the owner (as checked in Redis above).
  const kvAnchor = await join(cluster.servers[0]!, kvRoom, "anchor");
  const kvNear = await join(cluster.servers[0]!, kvRoom, "near");
  const kvFar = await join(cluster.servers[1]!, kvRoom, "far");
  const { near: kvNearTimes, far: kvFarTimes } = await nearAndFar(kvNear.client, kvFar.client);
  for (const client of [kvNear.client, kvFar.client, kvAnchor.client]) client.close();

  // ---- report ----
  const a = stats(singleWho);
  const b = stats(near);
  const c = stats(far);
  console.log(`\nRequest/reply (\`who\`), one client, ${messages} sequential requests after ${WARMUP} to warm up, at least ${SPACING_MS} ms apart:\n`);
  latencyTable("a", [
    ["(a) single Bun process", a],
    ["(b) cluster of 3 Bun, client on the owner", b],
    ["(c) cluster of 3 Bun, client on a non-owner", c],
  ]);

  const fs = stats(singleFan.times);
  const fc = stats(clusterFan.times);
  console.log(`\nFan-out: ${LISTENERS} listeners and one sender in a room; ${messages} \`say\`s after ${WARMUP} to warm up, one every ${SPACING_MS} ms; time from the send until the last listener has the \`said\`:\n`);
  console.log("| setup | p50 ms | p99 ms | max ms | lost | duplicated | out of order |");
  console.log("| --- | --: | --: | --: | --: | --: | --: |");
  for (const [label, s, r] of [
    ["(a) single Bun process, all 30 listeners on it", fs, singleFan],
    ["(b) cluster of 3 Bun, listeners 10/10/10, sender on the owner", fc, clusterFan],
  ] as const) {
    console.log(`| ${label} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${r.lost} | ${r.duplicates} | ${r.reordered} |`);
  }
  console.log(`\ncluster ÷ single: p50 ${ratio(fc.p50, fs.p50)}, p99 ${ratio(fc.p99, fs.p99)}`);

  const ping = stats(hops.ping);
  const hop = stats(hops.hop);
  console.log(`\nWhere the time goes: the cluster's redis-server (appendfsync always), ${HOP_SAMPLES} samples after ${WARMUP}:\n`);
  console.log("| round trip | p50 ms | p99 ms | max ms |");
  console.log("| --- | --: | --: | --: |");
  console.log(`| PING | ${fmt(ping.p50)} | ${fmt(ping.p99)} | ${fmt(ping.max)} |`);
  console.log(`| one hop: XADD (+PEXPIRE, pipelined) until a blocked XREAD has it | ${fmt(hop.p50)} | ${fmt(hop.p99)} | ${fmt(hop.max)} |`);
  console.log(
    `\nA request from a non-owner pays 2 hops (B mails A, A mails the reply to B): 2 × ${fmt(hop.p50)} = ${fmt(2 * hop.p50)} ms at p50; ` +
      `measured (c) − (b): ${fmt(c.p50 - b.p50)} ms at p50.\n`,
  );
  const d = stats(denoSingle);
  const e = stats(kvNearTimes);
  const f = stats(kvFarTimes);
  console.log(`\nDeno KV cluster: three Deno processes sharing one Deno KV database over KV Connect (test/fixtures/kv-connect-server.deno.ts), \`who\` as above:\n`);
  latencyTable("d", [
    ["(d) single Deno process", d],
    ["(e) Deno KV cluster, client on the owner", e],
    ["(f) Deno KV cluster, client on a non-owner (a forwarded frame each way)", f],
  ]);
  console.log(`\nA forwarded frame on Deno KV (half of (f) − (e)): ${fmt((f.p50 - e.p50) / 2)} ms at p50, ${fmt((f.p99 - e.p99) / 2)} ms at p99.\n`);
  console.log(`(${((performance.now() - began) / 1000).toFixed(0)} s)`);
} finally {
  for (const client of clients) client.close();
  await single?.stop();
  await cluster?.stop();
  removeDir(dir);
  const logs: string[] = [];
  if (single) logs.push(...noise("single", single));
  cluster?.servers.forEach((server, i) => logs.push(...noise(`cluster[${i}]${i === 0 ? " (owner)" : ""}`, server)));
  if (logs.length > 0) console.error(`\nServer output beyond the start line:\n${logs.join("\n")}`);
}
