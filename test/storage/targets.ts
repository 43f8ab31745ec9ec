import { resolve } from "node:path";
import { testRoom, type TestRoom } from "../../src/testing/index.ts";
import { socketRoom } from "../fixtures/socket-room.ts";
import { storageRoom } from "../fixtures/storage-room.ts";
import { redisStore } from "../../adapters/redis/store.ts";
import type { LocalStore } from "../../src/index.ts";
import { memoryPeer } from "../support/memory-peer.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import type { TestPeer } from "../support/peer.ts";
import { runtime, serversOf, type ServerCommand } from "../support/runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";

const fixture = (name: string) => resolve(import.meta.dirname, "../fixtures", name);

/** Fixture room types every target serves (test/fixtures). */
export type FixtureRoom = "storage" | "socket";
const fixtureRooms = { storage: storageRoom, socket: socketRoom };

/** A store and socket host under test: the fixture rooms served by it. */
export interface StorageTarget {
  name: string;
  start(): Promise<void>;
  /** A new connection to the fixture room `type`/`room` (storage by default). */
  connect(room: string, type?: FixtureRoom): Promise<TestPeer>;
  /** Stops whatever `start` started; safe to call after a failed start. */
  stop(): Promise<void>;
}

/** The core's memory store, in this process, through `testRoom`. */
function memory(): StorageTarget {
  const rooms = new Map<string, TestRoom>();
  return {
    name: "memory",
    async start() {},
    async connect(name, type = "storage") {
      let room = rooms.get(`${type}/${name}`);
      if (!room) rooms.set(`${type}/${name}`, (room = testRoom(fixtureRooms[type], { type, name })));
      return memoryPeer(await room.connect());
    },
    async stop() {
      rooms.clear();
    },
  };
}

/** Room storage on a real redis-server (adapters/redis, the cluster's store), through `testRoom` in this process. */
function redis(): StorageTarget {
  const rooms = new Map<string, TestRoom>();
  let running: RunningRedis | undefined;
  let store: LocalStore | undefined;
  return {
    name: "redis",
    async start() {
      running = await startRedis();
      store = redisStore(running.client());
    },
    async connect(name, type = "storage") {
      let room = rooms.get(`${type}/${name}`);
      if (!room) rooms.set(`${type}/${name}`, (room = testRoom(fixtureRooms[type], { type, name, storage: store!.storage(`${type}/${name}`) })));
      return memoryPeer(await room.connect());
    },
    async stop() {
      rooms.clear();
      await running?.stop();
    },
  };
}

/** A fixture server process (`PORT`, `DATA_DIR`) mounting the fixture rooms with a runtime's real adapter. */
function server(name: string, command: string[]): StorageTarget {
  let running: RunningServer | undefined;
  let dataDir: string | undefined;
  const peers: Peer[] = [];
  return {
    name,
    async start() {
      dataDir = tempDir(`roomwire-storage-${name}-`);
      running = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir });
    },
    async connect(room, type = "storage") {
      const peer = await Peer.connect(`${running!.wsUrl}/rooms/${type}/${room}`);
      peers.push(peer);
      return peer;
    },
    async stop() {
      for (const peer of peers) peer.drop();
      await running?.stop();
      if (dataDir) removeDir(dataDir);
    },
  };
}

/** Every runtime's fixture server (test/fixtures/storage-server.*): the fixture rooms mounted with its real adapter, on PORT with DATA_DIR. */
export const fixtureServers: ServerCommand[] = serversOf("storage");

/**
 * Deno in memory mode (neither dataDir nor kv): the core's `memoryStore` behind
 * the Deno adapter, in a process without Deno KV. Not in `fixtureServers`:
 * nothing it stores outlives a restart.
 */
export const denoMemoryServer: ServerCommand = {
  name: "deno-memory",
  command: runtime("deno").command(fixture("memory-server.deno.ts"), { denoConfig: fixture("deno.no-kv.jsonc"), denoPermissions: ["--allow-net", "--allow-read", "--allow-env"] }),
  direct: true,
};

/** Every implementation the storage and socket contracts run against: memory, Redis, then each runtime's fixture server. */
export const targets: StorageTarget[] = [memory(), redis(), ...[...fixtureServers, denoMemoryServer].map(({ name, command }) => server(name, command))];
