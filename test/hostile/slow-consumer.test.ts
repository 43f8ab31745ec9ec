import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type RoomClient, type StatusEvent } from "../../src/client/index.ts";
import { Proxy } from "../client/proxy.ts";
import { until } from "../client/helpers.ts";
import type { floodRoom } from "../fixtures/flood-room.ts";
import { startCluster } from "../support/cluster.ts";
import { freePort, removeDir, startServer, tempDir } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";
import { fixtureServers } from "../storage/targets.ts";

/** Every `blasted` event a client saw, by number, and its status changes. */
interface Watcher {
  client: RoomClient<typeof floodRoom>;
  seen: number[];
  statuses: StatusEvent[];
}

function watch(url: string): Watcher {
  const client = connect<typeof floodRoom>(url, { WebSocket, heartbeat: false, reconnect: { minDelay: 50, maxDelay: 200 } });
  const watcher: Watcher = { client, seen: [], statuses: [] };
  client.on("blasted", ({ n }) => watcher.seen.push(n));
  client.onStatus((event) => watcher.statuses.push(event));
  return watcher;
}

const SIZE = 8 * 1024;
const ROUND = 250;
const TURN_EVENTS = 50;

/** Where the test runs: the process its peers talk to, and the port the stalled client's proxy leads to. */
interface Target {
  name: string;
  start(): Promise<{ peerWsUrl: string; slowPort: number; stop(): Promise<void> }>;
}

/** One process per runtime: everyone on it. */
const single = fixtureServers.map(({ name, command }): Target => ({
  name,
  async start() {
    const dataDir = tempDir(`roomwire-slow-${name}-`);
    const server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir });
    return { peerWsUrl: server.wsUrl, slowPort: server.port, stop: async () => (await server.stop(), removeDir(dataDir)) };
  },
}));

/** A cluster: the room's owner is a Bun process, the stalled client is on a Deno process that forwards its socket (and bounds its queue). */
const cluster: Target = {
  name: "a cluster (stalled client on a non-owner)",
  async start() {
    const running = await startCluster("fixture", ["bun", "deno"]);
    return { peerWsUrl: running.servers[0]!.wsUrl, slowPort: running.servers[1]!.port, stop: () => running.stop() };
  },
};

describe.each([...single, cluster])("a client that stops reading, on $name", ({ name, start }) => {
  let target: Awaited<ReturnType<Target["start"]>>;
  let proxy: Proxy;
  const peers: Peer[] = [];
  const room = `flood/${name.replaceAll(/[^A-Za-z0-9]/g, "-")}`;

  /** A fresh connection for each action: on a runtime that estimates queues (workerd), a fast sender may be closed too. */
  async function peer(): Promise<Peer> {
    const fresh = await Peer.connect(`${target.peerWsUrl}/rooms/${room}`);
    peers.push(fresh);
    return fresh;
  }
  async function blast(count: number): Promise<void> {
    const sender = await peer();
    // A turn commits the replay log of what it broadcasts: at most TURN_EVENTS events of SIZE each fit its write budget.
    for (let sent = 0; sent < count; sent += TURN_EVENTS) sender.send("blast", { size: SIZE, count: Math.min(TURN_EVENTS, count - sent) });
    // Its own copies say the room has sent them all (or the room closed it: a queue estimate may count a fast reader as slow).
    let closed = false;
    void sender.closed.then(() => (closed = true));
    await until(() => closed || sender.events("blasted").length >= count, `the sender's ${count} events`, 30_000, () => sender.events("blasted").length);
    sender.drop();
  }
  async function closes(): Promise<string[]> {
    const asker = await peer();
    const reply = await asker.request("closes", {});
    asker.drop();
    return reply.data as string[];
  }

  beforeAll(async () => {
    target = await start();
    proxy = await Proxy.start(target.slowPort);
    // The peers' process owns the room: it had the room's first connection.
    await closes();
  }, 90_000);
  afterAll(async () => {
    for (const each of peers) each.drop();
    await proxy?.close();
    await target?.stop();
  });

  it("is closed with 1013 'slow consumer' once its queue passes the room's bound, then resumes with every event once, in order", async () => {
    const slow = watch(`${proxy.wsUrl}/rooms/${room}`);
    try {
      await until(() => slow.statuses.some((event) => event.status === "open"), "the slow client open");
      await blast(5);
      await until(() => slow.seen.length === 5, "the first five events");
      proxy.stall();
      // The kernel's socket buffers take several MB before anything queues in the server: blast until the room closes the stalled client.
      let sent = 5;
      for (let round = 0; round < 16 && !(await closes()).some((entry) => entry.startsWith("1013")); round++) {
        await blast(ROUND);
        sent += ROUND;
      }
      const closed = await closes();
      console.log(`${name}: the stalled client was closed after ${sent} events of ${SIZE} bytes; closes: ${closed.join(", ")}`);
      // Only the stalled client: the senders read everything the room sent them (their bursts drained within the room's patience).
      expect(closed.filter((entry) => entry.startsWith("1013")), closed.join(", ")).toEqual(["1013 slow consumer"]);
      proxy.unstall();
      await blast(5);
      sent += 5;
      await until(() => slow.seen.length >= sent, `all ${sent} events`, 60_000, () => ({ seen: slow.seen.length, last: slow.seen.at(-1) }));
      expect(slow.seen).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
      const reconnect = slow.statuses.find((event) => event.status === "reconnecting");
      expect(reconnect?.code, JSON.stringify(slow.statuses)).toBe(1013);
    } finally {
      slow.client.close();
    }
  }, 120_000);
});
