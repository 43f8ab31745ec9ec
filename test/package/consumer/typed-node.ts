// Checked with strict + NodeNext: the core, the client (with ws) and the testing host.
import WebSocket from "ws";
import * as v from "valibot";
import { defineRoom, RoomError } from "@roomwire/roomwire";
import { connect } from "@roomwire/roomwire/client";
import { testRoom } from "@roomwire/roomwire/testing";

export const counter = defineRoom({
  events: { add: v.object({ by: v.number() }) },
  requests: { total: v.optional(v.object({})) },
  on: {
    async add({ by }, _connection, room) {
      if (by > 100) throw new RoomError("forbidden", "Add at most 100 at a time.");
      await room.storage.put("total", ((await room.storage.get<number>("total")) ?? 0) + by);
    },
  },
  replies: { total: async (_data, _connection, room) => (await room.storage.get<number>("total")) ?? 0 },
});

export async function run(url: string): Promise<number> {
  const client = connect<typeof counter>(url, { WebSocket });
  client.send("add", { by: 2 });
  const total: number = await client.request("total", {});
  client.close();
  const room = testRoom(counter);
  const connection = await room.connect();
  await connection.send("add", { by: 1 });
  const tested: number = await connection.request("total", {});
  return total + tested;
}
