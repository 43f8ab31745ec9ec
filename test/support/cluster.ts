import { resolve } from "node:path";
import { startRedis, type RunningRedis } from "./redis.ts";
import { runtime, type App } from "./runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "./server.ts";

/** Processes of one cluster sharing one redis-server (and, with `kvConnect`, one KV Connect server), each on a port of its own. */
export interface RunningCluster {
  redis: RunningRedis;
  /** The KV Connect server (test/fixtures/kv-connect-server.deno.ts) the processes reach at KV_URL. */
  kv?: RunningServer;
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
 * `kvConnect`: also a KV Connect server over a Deno KV file, which the
 * processes reach at KV_URL with DENO_KV_ACCESS_TOKEN (Deno KV as on Deno
 * Deploy: every process sees the others' writes, `kv.watch` included).
 */
export async function startCluster(app: App | "fixture", runtimes: string[], env: Record<string, string> = {}, { kvConnect = false } = {}): Promise<RunningCluster> {
  const redis = await startRedis();
  const dataDir = tempDir();
  const servers: RunningServer[] = [];
  let kv: RunningServer | undefined;
  const shared: Record<string, string> = { DATA_DIR: dataDir, REDIS_URL: redis.url };
  const start = async (name: string) => {
    const each = runtime(name);
    return startServer(each.command(app === "fixture" ? fixture(name) : each.apps[app]), { PORT: String(await freePort()), ...shared, ...env });
  };
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await kv?.stop();
    await redis.stop();
    removeDir(dataDir);
  };
  try {
    if (kvConnect) {
      const token = crypto.randomUUID();
      kv = await startServer(runtime("deno").command(resolve(import.meta.dirname, "../fixtures/kv-connect-server.deno.ts")), { PORT: String(await freePort()), DATA_DIR: dataDir, KV_TOKEN: token });
      Object.assign(shared, { KV_URL: kv.url, DENO_KV_ACCESS_TOKEN: token });
    }
    for (const name of runtimes) servers.push(await start(name));
  } catch (error) {
    await stop();
    throw error;
  }
  return { redis, kv, servers, restart: async (i) => (servers[i] = await start(runtimes[i]!)), stop };
}
