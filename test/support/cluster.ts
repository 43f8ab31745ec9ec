import { resolve } from "node:path";
import { startRedis, type RunningRedis } from "./redis.ts";
import { runtime, type App } from "./runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "./server.ts";

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
