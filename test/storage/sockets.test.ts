import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestPeer } from "../support/peer.ts";
import { targets } from "./targets.ts";

/**
 * What every adapter hands the room, seen through the socket fixture room:
 * close codes and reasons reach the `close` hook, binary frames arrive as
 * Uint8Array, `send` reports "sent" on an open connection.
 */
describe.each(targets)("sockets on $name", (target) => {
  let rooms = 0;
  const room = () => `sockets-${Date.now()}-${rooms++}`;
  const data = async (client: TestPeer, type: string, payload?: unknown) => {
    const reply = await client.request(type, payload);
    if (reply.error) throw new Error(`${type} failed: ${reply.error.code}: ${reply.error.message}`);
    return reply.data;
  };

  /** How the room saw `ending`'s connection close, asked from another connection once the hook has run. */
  const closeSeen = async (end: (client: TestPeer) => void) => {
    const name = room();
    const [ending, watcher] = [await target.connect(name, "socket"), await target.connect(name, "socket")];
    const id = await data(ending, "whoami");
    end(ending);
    for (let attempt = 0; attempt < 100; attempt++) {
      const info = await data(watcher, "closed", { id });
      if (info !== null) return info;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the close hook of ${id} did not run`);
  };

  beforeAll(() => target.start());
  afterAll(() => target.stop());

  it.each([
    ["a close frame with code 4001 and a reason", (client: TestPeer) => client.close(4001, "app says bye"), { code: 4001, reason: "app says bye" }],
    ["a close frame with code 1000", (client: TestPeer) => client.close(1000), { code: 1000, reason: "" }],
    ["a close frame without a code as 1005", (client: TestPeer) => client.close(), { code: 1005, reason: "" }],
    ["a dropped link as 1006", (client: TestPeer) => client.drop(), { code: 1006, reason: "" }],
  ])("reports %s to the close hook", async (_label, end, expected) => {
    expect(await closeSeen(end)).toEqual(expected);
  });

  it("hands binary frames to the room as Uint8Array and sends them back unchanged", async () => {
    const client = await target.connect(room(), "socket");
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    client.raw(bytes);
    expect((await client.next("binary")).data).toEqual({ uint8Array: true, bytes: [...bytes] });
    expect([...(await client.nextBinary())]).toEqual([...bytes]);
  });

  it("reports sent for a frame sent to an open connection", async () => {
    const client = await target.connect(room(), "socket");
    expect(await data(client, "echo")).toBe("sent");
    await client.next("echo");
  });
});
