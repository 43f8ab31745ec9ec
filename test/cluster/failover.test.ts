import { afterAll, afterEach, describe, expect, it } from "vitest";
import { sleep, statusNames, track, until, type Tracked } from "../client/helpers.ts";
import { Balancer } from "../support/balancer.ts";
import { startCluster, type RunningCluster } from "../support/cluster.ts";
import { Peer } from "../support/ws-client.ts";

/**
 * A room's owner dies (`kill -9`) or pauses (SIGSTOP) in a three-process
 * cluster: the room serves again from another process, nothing acknowledged
 * is lost, and a paused owner's late write never lands.
 */

const LEASE_MS = 3000;

/** The two ways processes share rooms: Redis (any runtime), and Deno KV over KV Connect (Deno processes, as on Deno Deploy). */
const setups: { name: string; stream: string[]; fence: string[]; env: Record<string, string>; kvConnect: boolean }[] = [
  { name: "Redis", stream: ["bun", "bun", "deno"], fence: ["bun", "node"], env: {}, kvConnect: false },
  { name: "Deno KV", stream: ["deno", "deno", "deno"], fence: ["deno", "deno"], env: { CLUSTER: "kv" }, kvConnect: true },
];

describe.each(setups)("failover of a room's owner, on $name", ({ name, stream: streamRuntimes, fence, env, kvConnect }) => {
  let cluster: RunningCluster | undefined;
  const balancers: Balancer[] = [];
  const clients: Tracked[] = [];
  const peers: Peer[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.client.close();
    for (const peer of peers.splice(0)) peer.drop();
    for (const balancer of balancers.splice(0)) await balancer.stop();
    await cluster?.stop();
    cluster = undefined;
  });
  afterAll(async () => cluster?.stop());

  /** A roomwire client through a balancer that prefers the processes in `order` (indexes into the cluster). */
  const client = async (room: string, user: string, order: number[], listen?: (tracked: Tracked) => void) => {
    const balancer = await Balancer.start(() => order.map((i) => cluster!.servers[i]!.port));
    balancers.push(balancer);
    const tracked = track(`${balancer.wsUrl}/rooms/chat/${room}?user=${user}`, { reconnect: { minDelay: 50, maxDelay: 500 } });
    clients.push(tracked);
    listen?.(tracked);
    await until(() => tracked.client.status === "open", `${user} to connect`);
    return tracked;
  };

  it("kill -9 of the owner mid-stream: every acknowledged said is kept, survivors see the dead process's users leave, resumed clients get every event once", async () => {
    cluster = await startCluster("fixture", streamRuntimes, { LEASE_MS: String(LEASE_MS), ...env }, { kvConnect });
    const room = `failover-${Date.now()}`;
    // Ann comes first, so her process (0) owns the room; Bob is on 1, Carl on 2 (Deno).
    const annIds: string[] = [];
    const ann = await client(room, "ann", [0, 1, 2], (tracked) => tracked.client.on("welcome", (welcome) => annIds.push(welcome.id)));
    await until(() => annIds.length === 1, "ann's welcome");
    let welcomed = 0;
    const bob = await client(room, "bob", [1, 2, 0], (tracked) => tracked.client.on("welcome", () => welcomed++));
    const carl = await client(room, "carl", [2, 1, 0], (tracked) => tracked.client.on("welcome", () => welcomed++));
    const left: { who: string; id: string; at: number }[] = [];
    for (const [name, tracked] of [["bob", bob], ["carl", carl]] as const) tracked.client.on("left", (peer) => left.push({ who: name, id: peer.id, at: Date.now() }));
    await until(() => welcomed === 2, "bob's and carl's welcomes");

    let sending = true;
    let sent = 0;
    const stream = (async () => {
      while (sending) {
        for (const [name, tracked] of [["ann", ann], ["bob", bob], ["carl", carl]] as const) tracked.client.send("say", { text: `${name}-${sent}` });
        sent++;
        await sleep(150);
      }
    })();
    await until(() => bob.said.length >= 15, "the stream to flow");
    const killedAt = Date.now();
    const before = bob.said.length;
    await cluster.servers[0]!.stop("SIGKILL");
    // The room serves again once a said sent after the kill comes back.
    await until(() => bob.said.slice(before).some((said) => said.at > killedAt), "the room to serve again", 15_000);
    const servedAfter = Date.now() - killedAt;
    await sleep(2000);
    sending = false;
    await stream;

    // Every client ends with the same events, each once, in the room's order: the history.
    const history = (await bob.client.request("history", { limit: 200 })) as { user: string; text: string }[];
    const texts = history.map((said) => said.text);
    await until(() => [ann, bob, carl].every((each) => each.said.length >= texts.length), "every client to catch up", 10_000, () => ({ history: texts.length, said: [ann, bob, carl].map((each) => each.said.length), missing: [ann, bob, carl].map((each) => texts.map((text, i) => [i, text]).filter(([, text]) => !each.texts().includes(text as string))), killedAt, at: history.map((said: any) => said.at), ann: ann.statuses.length, errors: [ann, bob, carl].map((each) => each.errors), output: cluster!.servers.slice(1).map((server) => server.output().slice(-2000)) }));
    expect(new Set(texts).size).toBe(texts.length);
    for (const each of [ann, bob, carl]) expect(each.texts()).toEqual(texts);
    // What each sender saw acknowledged is in the history.
    for (const name of ["ann", "bob", "carl"]) {
      const acknowledged = bob.said.filter((said) => said.user === name).map((said) => said.text);
      expect(texts).toEqual(expect.arrayContaining(acknowledged));
    }
    // Ann's first connection was on the dead process: both survivors saw it leave.
    expect(left.filter((each) => each.id === annIds[0]).map((each) => each.who).sort()).toEqual(["bob", "carl"]);
    // Ann reconnected through the balancer to a live process and resumed.
    expect(statusNames(ann)).toContain("reconnecting");
    expect(ann.client.status).toBe("open");
    expect(ann.resyncs + bob.resyncs + carl.resyncs).toBe(0);
    console.log(`failover on ${name}: said served again ${servedAfter} ms after kill -9 of the owner (lease ${LEASE_MS} ms); ${texts.length} said kept; left seen after ${Math.max(...left.map((each) => each.at)) - killedAt} ms`);
  }, 60_000);

  it("a paused owner whose lease expired cannot write over its successor (SIGSTOP, then SIGCONT)", async () => {
    cluster = await startCluster("fixture", fence, { LEASE_MS: String(LEASE_MS), ...env }, { kvConnect });
    const room = `fence-${Date.now()}`;
    const url = (i: number) => `${cluster!.servers[i]!.wsUrl}/rooms/fence/${room}`;
    const stale = await Peer.connect(url(0));
    peers.push(stale);
    // Process 0 owns the room and starts a write that lands only after a wait.
    expect((await stale.request("get", { key: "x" })).data).toBeNull();
    const staleReply = stale.request("slowPut", { key: "stale", waitMs: 1500 }).catch((error: Error) => error);
    await sleep(200);
    const paused = cluster.servers[0]!.process.pid!;
    process.kill(paused, "SIGSTOP");
    try {
      await sleep(LEASE_MS + 1500);
      const fresh = await Peer.connect(url(1));
      peers.push(fresh);
      // Process 1 takes the expired lease and writes.
      expect((await fresh.request("put", { key: "fresh" })).data).toBe(true);
    } finally {
      process.kill(paused, "SIGCONT");
    }
    // The paused owner wakes, finishes its write and commits it: the fence refuses it.
    await sleep(3000);
    if (name === "Redis") {
      const stored = await cluster.redis.client().hgetall(`roomwire:{fence/${room}}:data`);
      expect(Object.keys(stored)).toContain("fresh");
      expect(Object.keys(stored)).not.toContain("stale");
    }
    const reply = await Promise.race([staleReply, sleep(100).then(() => "no reply")]);
    expect(reply).not.toMatchObject({ data: true });
    const checker = await Peer.connect(url(1));
    peers.push(checker);
    expect((await checker.request("get", { key: "stale" })).data).toBeNull();
    expect((await checker.request("get", { key: "fresh" })).data).toEqual(expect.any(Number));
  }, 60_000);
});
