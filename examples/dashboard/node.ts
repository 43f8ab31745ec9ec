import { nodeRooms } from "../../adapters/node/index.ts";
import { dashboardApp } from "./app.ts";
import { startFeed } from "./feed.ts";
import { dashboard } from "./room.ts";

// PORT=8788 DATA_DIR=./.data HOST=127.0.0.1 FEED_MS=1000 FEED_ROOM=main npm run start:dashboard:node
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8788);
const rooms = nodeRooms({ rooms: { dashboard }, dataDir: process.env.DATA_DIR ?? "./.data" });
const app = dashboardApp(rooms.app);

const server = await rooms.serve({ hostname, port, fetch: app.fetch });
const address = server.address();
console.log(`dashboard listening on http://${hostname}:${typeof address === "object" && address ? address.port : port}`);

const stopFeed = startFeed(rooms, (name) => process.env[name]);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    stopFeed();
    await rooms.close();
    process.exit(0);
  });
}
