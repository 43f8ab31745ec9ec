import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { findRedis } from "../../scripts/redis.mjs";
import { freePort, removeDir, tempDir } from "./server.ts";

/** A redis-server process of a test's own. */
export interface RunningRedis {
  url: string;
  port: number;
  process: ChildProcess;
  /** A new client (closed by `stop`). */
  client(): Redis;
  /** Stops the server: SIGTERM, or `signal`; its data directory goes with it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts redis-server on a free 127.0.0.1 port with a data directory of its
 * own, appending every write to its log and syncing it before it answers
 * (`appendfsync always`), as a deployment that must not lose acknowledged
 * writes would; resolves once it answers PING. `existingDir`: start on the
 * data a previous server left (it is removed by `stop` all the same).
 */
export async function startRedis(timeoutMs = 20_000, existingDir?: string): Promise<RunningRedis> {
  const executable = findRedis();
  if (!executable) throw new Error("No redis-server: npm test installs it (scripts/ensure-redis.mjs); or set REDIS_SERVER.");
  const port = await freePort();
  const dir = existingDir ?? tempDir("roomwire-redis-");
  const child = spawn(executable, ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const clients: Redis[] = [];
  const url = `redis://127.0.0.1:${port}`;
  const running: RunningRedis = {
    url,
    port,
    process: child,
    client() {
      const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
      // A killed server makes the client retry; its commands fail on their own, the events are only noise.
      client.on("error", () => {});
      clients.push(client);
      return client;
    },
    async stop(signal = "SIGTERM") {
      for (const client of clients.splice(0)) client.disconnect();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      removeDir(dir);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {}); // refused until the server listens
    try {
      await probe.connect();
      if ((await probe.ping()) === "PONG") break;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await running.stop("SIGKILL");
      throw new Error(`redis-server did not answer on ${port} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return running;
}
