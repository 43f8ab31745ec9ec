import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type RunningCluster } from "../support/cluster.ts";
import { SsePeer } from "../support/sse-peer.ts";
import { Peer } from "../support/ws-client.ts";

/**
 * The event-stream fallback behind a load balancer without sticky sessions:
 * a session's POSTs may land on any process, which relays them to the
 * process holding its stream.
 */
const setups: { name: string; runtimes: string[]; env: Record<string, string>; kvConnect: boolean }[] = [
  { name: "bun, deno and node on Redis", runtimes: ["bun", "deno", "node"], env: {}, kvConnect: false },
  { name: "three deno processes on Deno KV", runtimes: ["deno", "deno", "deno"], env: { CLUSTER: "kv" }, kvConnect: true },
];

describe.each(setups)("fallback sessions on a cluster of $name", ({ runtimes, env, kvConnect }) => {
  let cluster: RunningCluster;
  const peers: { drop(): void }[] = [];
  beforeAll(async () => {
    cluster = await startCluster("fixture", runtimes, env, { kvConnect });
  }, 120_000);
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await cluster?.stop();
  });
  /** POSTs `body` to the session through process `i`. */
  const postVia = async (i: number, room: string, session: string, body: string) =>
    (await fetch(`${cluster.servers[i]!.url}/rooms/chat/${room}?roomwire_session=${encodeURIComponent(session)}`, { method: "POST", body })).status;

  it("takes a session's POSTs on any process, in order, into the room its stream belongs to", async () => {
    const room = `sse-${Date.now()}`;
    const listener = await Peer.connect(`${cluster.servers[2]!.wsUrl}/rooms/chat/${room}?user=ws`);
    peers.push(listener);
    await listener.next("welcome");
    const stream = await SsePeer.connect(`${cluster.servers[0]!.url}/rooms/chat/${room}?user=sse`);
    peers.push(stream);
    await stream.next("welcome");
    for (let i = 0; i < 6; i++) {
      expect(await postVia(i % 3, room, stream.session, JSON.stringify({ type: "say", data: { text: `p${i}` } }))).toBe(204);
    }
    const texts = [];
    for (let i = 0; i < 6; i++) texts.push((await listener.next("said")).data.text);
    // Each POST was answered before the next was sent: the room took them in that order.
    expect(texts).toEqual(["p0", "p1", "p2", "p3", "p4", "p5"]);
    expect((await stream.next("said")).data.text).toBe("p0");
  });

  it("answers a POST for a session no live process holds with 404, and one over the limit with 413", async () => {
    const room = `sse-bad-${Date.now()}`;
    const say = JSON.stringify({ type: "say", data: { text: "x" } });
    expect(await postVia(1, room, "no-such-process.0000", say)).toBe(404);
    expect(await postVia(1, room, "no-such-session", say)).toBe(404);
    const stream = await SsePeer.connect(`${cluster.servers[0]!.url}/rooms/chat/${room}?user=sse`);
    peers.push(stream);
    await stream.next("welcome");
    expect(await postVia(2, room, stream.session, "x".repeat(64 * 1024 + 1))).toBe(413);
  });
});
