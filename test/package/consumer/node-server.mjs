// Node, plain JavaScript: the same room as room.ts, served by the installed package's Node adapter with SQLite storage.
import { Hono } from "hono";
import * as v from "valibot";
import { defineRoom } from "@roomwire/roomwire";
import { nodeRooms } from "@roomwire/roomwire/node";

const echo = defineRoom({
  events: { say: v.object({ text: v.pipe(v.string(), v.maxLength(200)) }) },
  requests: { count: v.optional(v.object({})) },
  upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user") ?? "guest" }),
  on: {
    async say({ text }, connection, room) {
      const n = ((await room.storage.get("n")) ?? 0) + 1;
      await room.storage.put("n", n);
      room.broadcast("said", { text, user: connection.data.user, n });
    },
  },
  replies: { count: async (_data, _connection, room) => (await room.storage.get("n")) ?? 0 },
});

const rooms = nodeRooms({ rooms: { echo }, dataDir: process.env.DATA_DIR });
const app = new Hono();
app.get("/health", (c) => c.text("ok"));
app.route("/ws", rooms.app);
await rooms.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT), fetch: app.fetch });
