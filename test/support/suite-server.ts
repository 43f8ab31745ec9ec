import { afterAll, beforeAll } from "vitest";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "./server.ts";
import type { Peer } from "./ws-client.ts";

/** The server of one suite, with the peers its tests opened. */
export interface SuiteServer {
  /** The running server (started in `beforeAll`). */
  readonly server: RunningServer;
  /** Peers to drop when the suite ends. */
  readonly peers: Peer[];
  /** Stops the server and starts it again on the same data directory (a restart). */
  restart(): Promise<void>;
}

/**
 * Starts `command` for the surrounding `describe` on a fresh data directory
 * and a free port, and always stops it, drops its peers and removes the
 * directory afterwards.
 */
export function suiteServer(command: string[], prefix: string, env: Record<string, string> = {}): SuiteServer {
  let server: RunningServer | undefined;
  let dataDir = "";
  const peers: Peer[] = [];
  const start = async () => {
    server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir, ...env });
  };
  beforeAll(async () => {
    dataDir = tempDir(prefix);
    await start();
  }, 90_000);
  afterAll(async () => {
    for (const peer of peers.splice(0)) peer.drop();
    await server?.stop();
    removeDir(dataDir);
  }, 30_000);
  return {
    get server() {
      if (!server) throw new Error("the suite's server has not started");
      return server;
    },
    peers,
    async restart() {
      for (const peer of peers.splice(0)) peer.drop();
      await server?.stop();
      await start();
    },
  };
}
