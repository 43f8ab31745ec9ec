import { nodeRooms } from "../../adapters/node/index.ts";
import { dashboardApp } from "./app.ts";
import { dashboard } from "./room.ts";

// PORT=8788 DATA_DIR=./.data HOST=127.0.0.1 FEED_MS=1000 FEED_ROOM=main npm run start:dashboard:node
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8788);
const feedMs = Number(process.env.FEED_MS ?? 1_000);
if (!(feedMs > 0)) throw new Error(`FEED_MS is ${JSON.stringify(process.env.FEED_MS)}; set it to the feed's period in milliseconds, e.g. 1000.`);
const rooms = nodeRooms({ rooms: { dashboard }, dataDir: process.env.DATA_DIR ?? "./.data" });
const app = dashboardApp(rooms.app);

const server = await rooms.serve({ hostname, port, fetch: app.fetch });
const address = server.address();
console.log(`dashboard listening on http://${hostname}:${typeof address === "object" && address ? address.port : port}`);

// The simulated feed is server code: every FEED_MS ms (default 1000) it calls the room's `tick` action through a room handle
// (for room FEED_ROOM, default "main"); a failed tick is logged and the next one tries again.
const feedRoom = rooms.room("dashboard", process.env.FEED_ROOM ?? "main");
const feed = setInterval(() => {
  feedRoom.call("tick").catch((error) => console.error(`dashboard feed: tick of dashboard/${feedRoom.name} failed (${error.message}); the next one runs in ${feedMs} ms.`));
}, feedMs);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    clearInterval(feed);
    await rooms.close();
    process.exit(0);
  });
}
