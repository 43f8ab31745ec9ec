import { bunRooms } from "../../adapters/bun/index.ts";
import { dashboardApp } from "./app.ts";
import { startFeed } from "./feed.ts";
import { dashboard } from "./room.ts";

// PORT=8788 DATA_DIR=./.data HOST=127.0.0.1 FEED_MS=1000 FEED_ROOM=main bun examples/dashboard/bun.ts
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8788);
const rooms = bunRooms({ rooms: { dashboard }, dataDir: process.env.DATA_DIR ?? "./.data" });
const app = dashboardApp(rooms.app);

const server = Bun.serve({ hostname, port, fetch: app.fetch, websocket: rooms.websocket });
console.log(`dashboard listening on http://${hostname}:${server.port}`);

const stopFeed = startFeed(rooms, (name) => process.env[name]);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    stopFeed();
    await rooms.close();
    server.stop();
    process.exit(0);
  });
}
