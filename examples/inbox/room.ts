import * as v from "valibot";
import { defineRoom, type Room } from "../../src/index.ts";

/**
 * The per-user inbox: one room per user, named by the user's id, that every
 * open tab of that user joins. The backend pushes into it through a room
 * handle (`rooms.room("inbox", userId).call("push", { text })`, see app.ts);
 * each push is kept in the room's storage and reaches every tab at once, and
 * a tab that was away (sleep, flaky network) gets what it missed when it
 * reconnects, because the room is resumable.
 */

/** Messages kept in storage: what `recent` can return. Older ones are forgotten. */
export const KEPT = 50;
/** Bounds of a pushed message, so one push cannot fill the inbox's storage. */
export const MAX_TEXT = 2000;
export const MAX_FROM = 64;

/** What `push` accepts: the text, and optionally who or what it is from. */
export const pushInput = v.object({
  text: v.pipe(v.string(), v.minLength(1, "text must not be empty"), v.maxLength(MAX_TEXT, `text must be at most ${MAX_TEXT} characters`)),
  from: v.optional(v.pipe(v.string(), v.minLength(1, "from must not be empty"), v.maxLength(MAX_FROM, `from must be at most ${MAX_FROM} characters`))),
});

/** A message as the tabs see it: `id` counts up in each inbox, `at` is ms since the epoch. */
export const message = v.object({
  id: v.number(),
  text: v.string(),
  from: v.optional(v.string()),
  at: v.number(),
});
export type InboxMessage = v.InferOutput<typeof message>;

export const inbox = defineRoom({
  requests: {
    // A tab reads the stored messages on load (and again after a `resync`); live ones arrive as `message`.
    // A push that lands between the connect and this reply arrives both ways, so a tab keys messages by id.
    recent: v.optional(v.object({ limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(KEPT))) })),
  },
  emits: {
    message,
  },
  upgrade(request, room) {
    // The room name says whose inbox this is; the request must prove who is asking. The example trusts
    // ?user=; a real app reads its session cookie or token here (401 without one, 403 for someone else's inbox).
    const user = new URL(request.url).searchParams.get("user");
    if (!user) return new Response("Add ?user=<your user id>.", { status: 401 });
    if (user !== room.name) return new Response("This inbox belongs to another user.", { status: 403 });
    return { user };
  },
  replies: {
    recent: async (data, _connection, room) => ({ messages: await recent(room, data?.limit ?? KEPT) }),
  },
  actionInputs: {
    push: pushInput,
  },
  actions: {
    /**
     * Stores a message and sends it to every open tab; answers its id and how many tabs were open to see
     * it live (0: the user will only see it on their next load, so the backend may want to email instead).
     */
    async push({ text, from }, room) {
      const id = ((await room.storage.get<number>("last-id")) ?? 0) + 1;
      const stored: InboxMessage = from === undefined ? { id, text, at: Date.now() } : { id, text, from, at: Date.now() };
      // All three writes commit together with the broadcast: a tab never sees a message the inbox then forgets.
      await room.storage.put(key(id), stored);
      await room.storage.put("last-id", id);
      if (id > KEPT) await room.storage.delete(key(id - KEPT));
      // A broadcast to everyone in a resumable room is numbered and logged, so a tab offline now gets it on reconnect.
      room.broadcast("message", stored);
      return { id, tabs: room.connections().length };
    },
  },
  // The replay log covers as many events as the inbox keeps: a tab that missed more (or was away
  // longer than the default 5 minutes) gets `resync` instead and reads `recent` again.
  resume: { events: KEPT },
});

/** Zero-padded, so storage lists the messages in id order. */
const key = (id: number) => `msg:${String(id).padStart(12, "0")}`;

/** The last `limit` stored messages, oldest first. */
async function recent(room: Room<any, any>, limit: number): Promise<InboxMessage[]> {
  const entries = await room.storage.list<InboxMessage>({ prefix: "msg:", reverse: true, limit });
  return [...entries.values()].reverse();
}
