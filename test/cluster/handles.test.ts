import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type RunningCluster } from "../support/cluster.ts";
import { Peer } from "../support/ws-client.ts";

/** Room handles on a cluster of Bun, Deno and Node: a call or a broadcast from any process reaches the room's owner, and through it every socket of the room. */
describe("room handles on a cluster of bun, deno and node", () => {
  let cluster: RunningCluster;
  const peers: Peer[] = [];
  beforeAll(async () => {
    cluster = await startCluster("fixture", ["bun", "deno", "node"]);
  }, 120_000);
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await cluster?.stop();
  });
  const join = async (i: number, path: string) => {
    const peer = await Peer.connect(`${cluster.servers[i]!.wsUrl}/rooms/${path}`);
    peers.push(peer);
    return peer;
  };

  it("calls an action of a room owned by another process, from every process", async () => {
    const room = `handles-${Date.now()}`;
    const writer = await join(1, `fence/${room}`);
    expect((await writer.request("put", { key: "k" })).data).toBe(true);
    const stored = (await writer.request("get", { key: "k" })).data;
    for (const server of cluster.servers) {
      const response = await fetch(`${server.url}/read/${room}/k`);
      expect(response.status).toBe(200);
      expect(await response.json()).toBe(stored);
    }
  });

  it("forwards plain HTTP requests to the room's owner, with their body, status and headers", async () => {
    const room = `http-${Date.now()}`;
    const owner = await join(0, `fence/${room}`);
    expect((await owner.request("get", { key: "k" })).data).toBeNull();
    const posted = await fetch(`${cluster.servers[2]!.url}/rooms/fence/${room}?key=k`, { method: "POST", body: "from node" });
    expect(posted.status).toBe(201);
    expect(posted.headers.get("x-room")).toBe("fence");
    for (const server of cluster.servers) {
      const response = await fetch(`${server.url}/rooms/fence/${room}?key=k`);
      expect(response.status).toBe(200);
      expect(await response.json()).toBe("from node");
    }
  });

  it("calls an action of a room nobody holds: some process takes it for the call", async () => {
    for (const server of cluster.servers) expect(await (await fetch(`${server.url}/read/empty-${Date.now()}/k`)).json()).toBeNull();
  });

  it("broadcasts from any process to the room's sockets on every process, once each and in order", async () => {
    const room = `announce-${Date.now()}`;
    const listeners = [await join(0, `chat/${room}?user=a`), await join(1, `chat/${room}?user=b`), await join(2, `chat/${room}?user=c`)];
    for (const peer of listeners) await peer.next("welcome");
    for (let i = 0; i < 9; i++) {
      const response = await fetch(`${cluster.servers[i % 3]!.url}/announce/${room}`, { method: "POST", body: `n${i}` });
      expect(response.status).toBe(204);
    }
    for (const peer of listeners) {
      const texts = [];
      for (let i = 0; i < 9; i++) texts.push((await peer.next("said")).data.text);
      expect(texts).toEqual(Array.from({ length: 9 }, (_, i) => `n${i}`));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Nothing more: each got each broadcast once.
    for (const peer of listeners) expect(peer.events("said")).toEqual([]);
  });
});
