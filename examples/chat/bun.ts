import { bunRooms } from "../../adapters/bun/index.ts";
import { redisCluster } from "../../adapters/redis/index.ts";
import { chatApp } from "./app.ts";
import { chat } from "./room.ts";

// PORT=8787 DATA_DIR=./.data HOST=127.0.0.1 bun examples/chat/bun.ts
// With REDIS_URL=redis://… several processes share the rooms (a cluster).
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const redis = process.env.REDIS_URL;
const rooms = bunRooms({ rooms: { chat }, dataDir: process.env.DATA_DIR ?? "./.data", cluster: redis ? redisCluster({ url: redis }) : undefined });
const app = chatApp(rooms.app);

const server = Bun.serve({ hostname, port, fetch: app.fetch, websocket: rooms.websocket });
console.log(`chat listening on http://${hostname}:${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await rooms.close();
    server.stop();
    process.exit(0);
  });
}
