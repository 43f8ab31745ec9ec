import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../client/helpers.ts";
import { startCluster, type RunningCluster } from "../support/cluster.ts";
import { Peer } from "../support/ws-client.ts";

/** A room's alarm in a cluster: it rings on one process, once, even when the process that set it is gone. */
/** Redis (three runtimes), and Deno KV shared by Deno processes over KV Connect (as on Deno Deploy). */
const setups: { name: string; three: string[]; two: string[]; env: Record<string, string>; kvConnect: boolean }[] = [
  { name: "Redis", three: ["bun", "deno", "node"], two: ["bun", "bun"], env: {}, kvConnect: false },
  { name: "Deno KV", three: ["deno", "deno", "deno"], two: ["deno", "deno"], env: { CLUSTER: "kv" }, kvConnect: true },
];

describe.each(setups)("alarms on a cluster, on $name", ({ three, two, env, kvConnect }) => {
  let cluster: RunningCluster | undefined;
  const peers: Peer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.drop();
    await cluster?.stop();
    cluster = undefined;
  });
  const join = async (i: number, room: string) => {
    const peer = await Peer.connect(`${cluster!.servers[i]!.wsUrl}/rooms/fence/${room}`);
    peers.push(peer);
    return peer;
  };
  /** How many times the room's alarm ran, asked through the last process (a request that finds a dead owner is retried). */
  const rang = async (room: string): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      const peer = await join(cluster!.servers.length - 1, room);
      try {
        return Number((await peer.request("get", { key: "rang" })).data ?? 0);
      } catch (error) {
        if (attempt >= 3) throw error;
      } finally {
        peer.drop();
      }
    }
  };

  it("rings once for a room nobody is connected to, though every process watches the alarms", async () => {
    cluster = await startCluster("fixture", three, { LEASE_MS: "1500", ...env }, { kvConnect });
    const room = `alarm-${Date.now()}`;
    const setter = await join(0, room);
    expect((await setter.request("alarmIn", { ms: 800 })).data).toBe(true);
    setter.drop();
    await sleep(800 + 2000);
    expect(await rang(room)).toBe(1);
    await sleep(1500);
    expect(await rang(room)).toBe(1);
  }, 30_000);

  it("rings on a surviving process when the owner that set it was killed", async () => {
    cluster = await startCluster("fixture", two, { LEASE_MS: "1500", ...env }, { kvConnect });
    const room = `alarm-killed-${Date.now()}`;
    const setter = await join(0, room);
    expect((await setter.request("alarmIn", { ms: 1000 })).data).toBe(true);
    await cluster.servers[0]!.stop("SIGKILL");
    let count = 0;
    const deadline = Date.now() + 10_000;
    while (count === 0 && Date.now() < deadline) {
      await sleep(500);
      count = await rang(room);
    }
    expect(count).toBe(1);
    await sleep(2000);
    expect(await rang(room)).toBe(1);
  }, 30_000);
});
