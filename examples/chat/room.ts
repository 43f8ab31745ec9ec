import * as v from "valibot";
import { defineRoom, type Room } from "../../src/index.ts";

/** The chat room: the one definition every runtime entry serves. */

const USER = /^[A-Za-z0-9_-]{1,32}$/;
/** History kept in storage; `history` may ask for up to this many. */
const KEPT = 200;
const WELCOME_HISTORY = 50;

const peer = v.object({ id: v.string(), user: v.string() });
const said = v.object({ user: v.string(), text: v.string(), at: v.number() });
type Said = v.InferOutput<typeof said>;

export const chat = defineRoom({
  events: {
    say: v.object({ text: v.pipe(v.string(), v.minLength(1), v.maxLength(2000)) }),
  },
  requests: {
    history: v.object({ limit: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(KEPT)) }),
    who: v.optional(v.object({})),
  },
  emits: {
    welcome: v.object({ id: v.string(), user: v.string(), peers: v.array(peer), history: v.array(said) }),
    joined: peer,
    left: peer,
    said,
  },
  upgrade(request) {
    const user = new URL(request.url).searchParams.get("user");
    if (user === null || !USER.test(user)) {
      return new Response("Add ?user=<name>: 1–32 characters of A–Z, a–z, 0–9, '_' and '-'.", { status: 401 });
    }
    return { user };
  },
  async connect(connection, room) {
    const { id, data } = connection;
    connection.send("welcome", { id, user: data.user, peers: peers(room), history: await lastSaid(room, WELCOME_HISTORY) });
    room.broadcast("joined", { id, user: data.user }, { except: connection });
  },
  on: {
    async say({ text }, connection, room) {
      const message = { user: connection.data.user, text, at: Date.now() };
      await append(room, message);
      room.broadcast("said", message);
    },
  },
  replies: {
    history: ({ limit }, _connection, room) => lastSaid(room, limit),
    who: (_data, _connection, room) => ({ peers: peers(room) }),
  },
  close(connection, room) {
    room.broadcast("left", { id: connection.id, user: connection.data.user });
  },
  limits: { maxMessageBytes: 64 * 1024 },
  // Reconnecting clients get the said events they missed.
  resume: true,
});

function peers(room: Room<{ user: string }, any>) {
  return room.connections().map((connection) => ({ id: connection.id, user: connection.data.user }));
}

const key = (seq: number) => `said:${String(seq).padStart(12, "0")}`;

/** Appends to the history under a sequence number and forgets what falls out of the kept window. */
async function append(room: Room<any, any>, message: Said): Promise<void> {
  const seq = ((await room.storage.get<number>("said-seq")) ?? 0) + 1;
  await room.storage.put(key(seq), message);
  await room.storage.put("said-seq", seq);
  if (seq > KEPT) await room.storage.delete(key(seq - KEPT));
}

/** The last `limit` said payloads, oldest first. */
async function lastSaid(room: Room<any, any>, limit: number): Promise<Said[]> {
  const entries = await room.storage.list<Said>({ prefix: "said:", reverse: true, limit });
  return [...entries.values()].reverse();
}
