import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A fresh data directory, removed by `removeDir`. */
export function tempDir(prefix = "roomwire-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A server process under test. */
export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  process: ChildProcess;
  output(): string;
  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`; `signal` SIGKILL kills at once. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/**
 * Starts `command` with PORT and DATA_DIR set and waits until `GET /health`
 * answers. The process is killed if it does not come up in `timeoutMs`.
 */
export async function startServer(command: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<RunningServer> {
  const port = Number(env.PORT);
  const child = spawn(command[0]!, command.slice(1), {
    // The repository's root, where deno.json and node_modules are found.
    cwd: root,
    env: { ...process.env, HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stopping it also stops what it started (wrangler starts workerd).
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: RunningServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    async stop(signal = "SIGTERM", graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = (how: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, how);
        } catch {
          // the group is gone already
        }
      };
      kill(signal);
      const timer = setTimeout(() => kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      kill("SIGKILL");
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${command.join(" ")} exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${server.url}/health`);
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await server.stop("SIGKILL");
  throw new Error(`${command.join(" ")} did not answer /health within ${timeoutMs} ms:\n${output}`);
}
