import { afterAll, beforeAll } from "vitest";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "./server.ts";
import { Peer } from "./ws-client.ts";

/** A chat server process for one describe block: started before its tests, stopped (with every peer dropped) after them. */
export interface ChatServer {
  /** The running server (replaced by `restart`). */
  readonly server: RunningServer;
  /** Starts a new process on the same data directory (after `server.stop()`). */
  restart(): Promise<RunningServer>;
  /** Connects `user` to chat room `room`; dropped when the block ends. */
  join(room: string, user: string): Promise<Peer>;
}

/** Registers beforeAll/afterAll hooks that run `command` as the chat app with a fresh DATA_DIR. */
export function useChatServer(command: string[]): ChatServer {
  let server: RunningServer | undefined;
  let dataDir = "";
  const peers: Peer[] = [];
  const start = async () => (server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir }));

  beforeAll(async () => {
    dataDir = tempDir();
    await start();
  });
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await server?.stop();
    removeDir(dataDir);
  });

  return {
    get server() {
      return server!;
    },
    restart: start,
    async join(room, user) {
      const peer = await Peer.connect(`${server!.wsUrl}/rooms/chat/${room}?user=${user}`);
      peers.push(peer);
      return peer;
    },
  };
}
