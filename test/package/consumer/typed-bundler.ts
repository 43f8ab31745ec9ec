// Checked with strict + bundler + exactOptionalPropertyTypes.
import { connect } from "@roomwire/roomwire/client";
import { testRoom } from "@roomwire/roomwire/testing";
import { echo } from "./room.ts";

export async function run(): Promise<string> {
  const room = testRoom(echo);
  const ann = await room.connect("?user=ann");
  await ann.send("say", { text: "hi" });
  const count: number = await ann.request("count", {});
  const client = connect<typeof echo>("ws://127.0.0.1:1/rooms/echo/lobby", { reconnect: false });
  client.on("said", ({ user, n }) => console.log(user, n + count));
  client.close();
  return `${count}`;
}
