import * as v from "valibot";
import { defineRoom } from "@roomwire/roomwire";

/** A small room, written as a user of the installed package would. */
export const echo = defineRoom({
  events: { say: v.object({ text: v.pipe(v.string(), v.maxLength(200)) }) },
  requests: { count: v.optional(v.object({})) },
  emits: { said: v.object({ text: v.string(), user: v.string(), n: v.number() }) },
  upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user") ?? "guest" }),
  on: {
    async say({ text }, connection, room) {
      const n = ((await room.storage.get<number>("n")) ?? 0) + 1;
      await room.storage.put("n", n);
      room.broadcast("said", { text, user: connection.data.user, n });
    },
  },
  replies: {
    count: async (_data, _connection, room) => (await room.storage.get<number>("n")) ?? 0,
  },
});
