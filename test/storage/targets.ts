import { resolve } from "node:path";
import { testRoom, type TestRoom } from "../../src/testing/index.ts";
import { ReplyError } from "../../src/testing/index.ts";
import { socketRoom } from "../fixtures/socket-room.ts";
import { storageRoom } from "../fixtures/storage-room.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";

const root = resolve(import.meta.dirname, "../..");
const bin = (name: string) => resolve(root, "node_modules/.bin", name);
const fixture = (name: string) => resolve(root, "test/fixtures", name);

/** A reply as the suite sees it: `data`, or `error` for a failed reply. */
export interface Reply {
  data?: any;
  error?: { code: string; message: string };
}

/** One connection to a fixture room. */
export interface RoomClient {
  request(type: string, data?: unknown): Promise<Reply>;
  /** Sends a raw frame. */
  raw(frame: string | Uint8Array): void;
  /** The next event frame of `type`: `{ type, data }`. */
  next(type: string): Promise<{ type: string; data?: any }>;
  /** The next binary frame. */
  nextBinary(): Promise<Uint8Array>;
  /** Closes with a code, or with a close frame without one when `code` is undefined. */
  close(code?: number, reason?: string): void;
  /** Drops the link without a close frame. */
  drop(): void;
}

/** Fixture room types every target serves (test/fixtures). */
export type FixtureRoom = "storage" | "socket";
const fixtureRooms = { storage: storageRoom, socket: socketRoom };

/** A store and socket host under test: the fixture rooms served by it. */
export interface StorageTarget {
  name: string;
  start(): Promise<void>;
  /** A new connection to the fixture room `type`/`room` (storage by default). */
  connect(room: string, type?: FixtureRoom): Promise<RoomClient>;
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
      const connection = await room.connect();
      return {
        async request(type, data) {
          try {
            return { data: await connection.request(type, data) };
          } catch (error) {
            if (error instanceof ReplyError) return { error: error.body };
            throw error;
          }
        },
        raw: (frame) => void connection.sendRaw(frame),
        next: (type) => connection.next(type),
        nextBinary: () => connection.next((frame) => frame instanceof Uint8Array),
        close: (code, reason) => void connection.close(code, reason),
        drop: () => void connection.drop(),
      };
    },
    async stop() {
      rooms.clear();
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
      return {
        request: (type, data) => peer.request(type, data),
        raw: (frame) => peer.raw(typeof frame === "string" ? frame : Buffer.from(frame)),
        next: (type) => peer.next(type),
        nextBinary: async () => new Uint8Array(await peer.next((frame) => Buffer.isBuffer(frame))),
        close: (code, reason) => peer.close(code, reason),
        drop: () => peer.drop(),
      };
    },
    async stop() {
      for (const peer of peers) peer.drop();
      await running?.stop();
      if (dataDir) removeDir(dataDir);
    },
  };
}

/** A runtime's fixture server: the fixture rooms mounted with its real adapter, on PORT with DATA_DIR. */
export interface FixtureServer {
  name: string;
  command: string[];
}

/** Every runtime's fixture server (test/fixtures/storage-server.*). */
export const fixtureServers: FixtureServer[] = [
  { name: "bun", command: [bin("bun"), fixture("storage-server.bun.ts")] },
  { name: "deno", command: [bin("deno"), "run", "-A", "--cached-only", fixture("storage-server.deno.ts")] },
  { name: "workerd", command: [process.execPath, resolve(root, "scripts/start-cloudflare.mjs"), "-c", fixture("wrangler.storage.toml")] },
];

/**
 * Deno in memory mode (neither dataDir nor kv): the core's `memoryStore` behind
 * the Deno adapter, in a process without Deno KV. Not in `fixtureServers`:
 * nothing it stores outlives a restart.
 */
export const denoMemoryServer: FixtureServer = {
  name: "deno-memory",
  command: [bin("deno"), "run", "--config", fixture("deno.no-kv.jsonc"), "--allow-net", "--allow-read", "--allow-env", "--cached-only", fixture("memory-server.deno.ts")],
};

/** Every implementation the storage and socket contracts run against: memory, then each runtime's fixture server. */
export const targets: StorageTarget[] = [memory(), ...[...fixtureServers, denoMemoryServer].map(({ name, command }) => server(name, command))];
