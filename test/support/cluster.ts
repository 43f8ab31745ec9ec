import { resolve } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { ChatServer } from "./chat-server.ts";
import { startRedis, type RunningRedis } from "./redis.ts";
import { runtime, type App } from "./runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "./server.ts";
import { Peer } from "./ws-client.ts";

/** Processes of one cluster sharing one redis-server, each on a port of its own. */
export interface RunningCluster {
  redis: RunningRedis;
  /** The processes, in the order of the runtimes given. */
  servers: RunningServer[];
  /** Starts process `i` again (after it stopped or was killed), on a new port. */
  restart(i: number): Promise<RunningServer>;
  /** Stops every process, then redis-server. */
  stop(): Promise<void>;
}

/** test/fixtures/cluster-server.*: the chat room and the fence room (a write that waits), on Redis with LEASE_MS. */
const fixture = (name: string) => resolve(import.meta.dirname, `../fixtures/cluster-server.${name}.ts`);

/**
 * Starts redis-server and `app` once per runtime name (e.g. ["bun", "bun",
 * "deno"]), each with REDIS_URL; "fixture" is test/fixtures/cluster-server.*.
 */
export async function startCluster(app: App | "fixture", runtimes: string[], env: Record<string, string> = {}): Promise<RunningCluster> {
  const redis = await startRedis();
  const dataDir = tempDir();
  const start = async (name: string) => {
    const each = runtime(name);
    return startServer(each.command(app === "fixture" ? fixture(name) : each.apps[app]), { PORT: String(await freePort()), DATA_DIR: dataDir, REDIS_URL: redis.url, ...env });
  };
  const servers: RunningServer[] = [];
  try {
    for (const name of runtimes) servers.push(await start(name));
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop("SIGKILL")));
    await redis.stop();
    throw error;
  }
  return {
    redis,
    servers,
    restart: async (i) => (servers[i] = await start(runtimes[i]!)),
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
      await redis.stop();
      removeDir(dataDir);
    },
  };
}

/**
 * The chat app on a cluster, shaped like `useChatServer`'s server so the
 * chat spec runs on it unchanged: every `url`, `wsUrl` and `join` picks one
 * of the processes at random, `server.stop()` stops them all and `restart()`
 * starts them all again on the same Redis.
 */
export function useChatCluster(runtimes: string[]): ChatServer {
  let cluster: RunningCluster | undefined;
  const peers: Peer[] = [];
  const any = () => cluster!.servers[Math.floor(Math.random() * cluster!.servers.length)]!;
  const server: RunningServer = {
    get url() {
      return any().url;
    },
    get wsUrl() {
      return any().wsUrl;
    },
    get port() {
      return any().port;
    },
    get process() {
      return cluster!.servers[0]!.process;
    },
    output: () => cluster!.servers.map((each, i) => `--- ${runtimes[i]} ---\n${each.output()}`).join("\n"),
    stop: async () => void (await Promise.all(cluster!.servers.map((each) => each.stop()))),
  };
  beforeAll(async () => {
    cluster = await startCluster("chat", runtimes);
  }, 120_000);
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await cluster?.stop();
  });
  return {
    server,
    async restart() {
      for (let i = 0; i < runtimes.length; i++) await cluster!.restart(i);
      return server;
    },
    async join(room, user) {
      const peer = await Peer.connect(`${any().wsUrl}/rooms/chat/${room}?user=${user}`);
      peers.push(peer);
      return peer;
    },
  };
}
