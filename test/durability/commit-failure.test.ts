import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../client/helpers.ts";
import { POISON } from "../fixtures/fragile-room.ts";
import { serversOf } from "../support/runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer, type Frame } from "../support/ws-client.ts";

/** Each runtime's own store, made to refuse any commit that writes the poison key (test/fixtures/fragile-server.*). */
const fragileServers = serversOf("fragile");

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const wrote = (peer: Peer) => peer.frames.filter((frame): frame is Frame & { seq: number } => typeof frame === "object" && !Buffer.isBuffer(frame) && frame.type === "wrote");

describe.each(fragileServers)("a commit the store refuses, on $name", ({ name, command }) => {
  let server: RunningServer;
  let dataDir = "";
  const peers: Peer[] = [];
  const connect = async (query = "") => {
    const peer = await Peer.connect(`${server.wsUrl}/rooms/fragile/${name}${query}`);
    peers.push(peer);
    return peer;
  };

  beforeAll(async () => {
    dataDir = tempDir(`roomwire-fragile-${name}-`);
    server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir });
  }, 90_000);
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await server?.stop();
    removeDir(dataDir);
  });

  it("sends nothing of the lost turn, answers it internal, and the room goes on from what was stored, its sequence without a gap", async () => {
    const writer = await connect().catch((error) => {
      throw new Error(`${error.message}\n${server.output().slice(-3000)}`);
    });
    const watcher = await connect();
    expect((await writer.request("write", { key: "a" })).data).toBe("a");
    await until(() => wrote(watcher).length === 1, "the watcher's first wrote");

    // The store refuses the commit: a request gets an internal reply, an event an internal error frame.
    const refused = await writer.request("write", { key: POISON });
    expect(refused.error?.code).toBe("internal");
    writer.send("write", { key: POISON });
    expect((await writer.next("error")).error.code).toBe("internal");

    expect((await writer.request("write", { key: "b" })).data).toBe("b");
    await sleep(300);
    // Nobody saw the lost writes' broadcasts; the numbers run on from the stored sequence.
    for (const peer of [writer, watcher]) {
      expect(wrote(peer).map((frame) => [frame.data.key, frame.seq])).toEqual([["a", 1], ["b", 2]]);
    }
    expect((await writer.request("read", { key: POISON })).data).toBe(false);
    expect((await writer.request("read", { key: "b" })).data).toBe(true);
    // Nor half of them: the count written beside the refused key was not kept either.
    expect((await writer.request("read", { key: "writes" })).data).toBe(2);

    // A client resuming from the start gets exactly what was committed.
    const late = await connect("?roomwire_since=0");
    await late.next("resume");
    expect(wrote(late).map((frame) => [frame.data.key, frame.seq])).toEqual([["a", 1], ["b", 2]]);
  }, 30_000);
});
