import { afterAll, beforeAll } from "vitest";
import type { ChatServer } from "./chat-server.ts";
import { startCluster, type RunningCluster } from "./cluster.ts";
import type { RunningServer } from "./server.ts";
import { Peer } from "./ws-client.ts";

/**
 * The chat app on a cluster, shaped like `useChatServer`'s server so the
 * chat spec runs on it unchanged: every `url`, `wsUrl` and `join` picks one
 * of the processes at random, `server.stop()` stops them all and `restart()`
 * starts them all again on the same Redis (or Deno KV database).
 */
export function useChatCluster(runtimes: string[], env: Record<string, string> = {}, options: { kvConnect?: boolean } = {}): ChatServer {
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
    cluster = await startCluster("chat", runtimes, env, options);
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
