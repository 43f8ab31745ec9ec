// The core's own cost per message, without sockets or a runtime: `bun bench/micro.ts` (or with deno: `deno run -A bench/micro.ts`).
// One room of 32 connections on an in-memory port whose send does nothing; each message is one `say`
// in and one `said` broadcast to the 32. Compared with the hand-written protocol (shared/protocol.ts)
// doing the same JSON work, this is roomwire's overhead per message, which the fan-out rows dilute
// with the runtime's own cost of sending 32 frames.
import { memoryStore, RoomEngine, type Attachment, type RoomPorts } from "../src/index.ts";
import { LocalRooms } from "../src/local-rooms.ts";
import { handle, type Out } from "./shared/protocol.ts";
import { raw, typed } from "./shared/rooms.ts";

const PEERS = 32;
const MESSAGES = 200_000;
const ROUNDS = 7;

interface Socket {
  id: number;
  attachment: Attachment;
  sent: number;
}

function sockets(): Socket[] {
  return Array.from({ length: PEERS }, (_, id) => ({ id, attachment: { id: `conn-${id}`, data: { u: `c${id}` } }, sent: 0 }));
}

const frames = Array.from({ length: 64 }, (_, i) => `{"type":"say","data":{"text":"hello from c${i % PEERS} #${i}"}}`);

/** The hand-written protocol: parse, build the said frame, loop over the room. */
function handWritten(): () => void {
  const room = sockets();
  const out: Out<Socket> = {
    send: (socket) => void socket.sent++,
    broadcast(_socket, _frame) {
      for (const peer of room) peer.sent++;
    },
  };
  let i = 0;
  return () => {
    const socket = room[i % PEERS]!;
    handle(frames[i++ & 63]!, (socket.attachment.data as { u: string }).u, socket, out);
  };
}

/** A roomwire engine on a port like Deno's (a loop over a Set) or Bun's (publish). */
function engine(definition: typeof typed | typeof raw, publish: boolean): () => void {
  const room = sockets();
  const set = new Set(room);
  const ports: RoomPorts<Socket> = {
    sockets: {
      sockets: () => set,
      send: (socket) => (socket.sent++, "sent"),
      close: () => {},
      attachment: (socket) => socket.attachment,
      setAttachment: (socket, attachment) => void (socket.attachment = attachment),
      ...(publish ? { publish: () => (room.forEach((s) => s.sent++), "sent" as const) } : {}),
    },
    // The bench's rooms never touch storage.
    storage: memoryStore().storage("bench/micro"),
    alarm: { set: async () => {}, get: async () => null, delete: async () => {} },
  };
  const engine = new RoomEngine(definition, { type: "bench", name: "micro" }, ports);
  for (const socket of room) engine.open(socket);
  let i = 0;
  return () => engine.message(room[i % PEERS]!, frames[i++ & 63]!);
}

/** The same through LocalRooms, as the Bun (publish) and Deno (send loop) adapters drive it. */
function local(definition: typeof typed | typeof raw, publish: boolean): () => void {
  const room = sockets();
  const rooms = new LocalRooms<Socket>({ bench: definition }, memoryStore(), {
    send: (socket) => (socket.sent++, "sent"),
    close: () => {},
    attachment: (socket) => socket.attachment,
    setAttachment: (socket, attachment) => void (socket.attachment = attachment),
    ...(publish ? { publish: () => (room.forEach((s) => s.sent++), "sent" as const) } : {}),
  });
  // One address object per socket, as the adapters keep it (Bun: ws.data.address; Deno: the accept closure).
  const addresses = room.map(() => ({ type: "bench", name: "micro" }));
  room.forEach((socket, i) => rooms.open(addresses[i]!, socket));
  let i = 0;
  return () => {
    const n = i % PEERS;
    rooms.message(addresses[n]!, room[n]!, frames[i++ & 63]!);
  };
}

function measure(step: () => void): number {
  for (let i = 0; i < 20_000; i++) step();
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < MESSAGES; i++) step();
    times.push(((performance.now() - start) * 1e6) / MESSAGES);
  }
  return times.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

const cases: [string, () => () => void][] = [
  ["hand-written protocol", handWritten],
  ["engine, raw mode, send loop", () => engine(raw, false)],
  ["engine, typed, send loop", () => engine(typed, false)],
  ["engine, raw mode, publish", () => engine(raw, true)],
  ["engine, typed, publish", () => engine(typed, true)],
  ["LocalRooms, raw mode, send loop", () => local(raw, false)],
  ["LocalRooms, typed, send loop", () => local(typed, false)],
  ["LocalRooms, raw mode, publish", () => local(raw, true)],
  ["LocalRooms, typed, publish", () => local(typed, true)],
];
const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;
console.log(`ns per message (say in, said to ${PEERS}), median of ${ROUNDS} × ${MESSAGES.toLocaleString("en-US")}, ${runtime}:`);
const base = measure(handWritten());
for (const [name, make] of cases) {
  const ns = name === "hand-written protocol" ? base : measure(make());
  console.log(`  ${name.padEnd(34)} ${ns.toFixed(0).padStart(6)} ns  (+${(ns - base).toFixed(0)} ns)`);
}
