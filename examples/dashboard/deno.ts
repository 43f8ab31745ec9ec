import { denoRooms, serve } from "../../adapters/deno/index.ts";
import { dashboardApp } from "./app.ts";
import { dashboard } from "./room.ts";

// PORT=8788 DATA_DIR=./.data HOST=127.0.0.1 FEED_MS=1000 FEED_ROOM=main deno run -A examples/dashboard/deno.ts
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8788);
const feedMs = Number(Deno.env.get("FEED_MS") ?? 1_000);
if (!(feedMs > 0)) throw new Error(`FEED_MS is ${JSON.stringify(Deno.env.get("FEED_MS"))}; set it to the feed's period in milliseconds, e.g. 1000.`);
const rooms = denoRooms({ rooms: { dashboard }, dataDir: Deno.env.get("DATA_DIR") ?? "./.data" });
const app = dashboardApp(rooms.app);

const server = serve({ hostname, port, onListen: ({ port }) => console.log(`dashboard listening on http://${hostname}:${port}`) }, app.fetch);

// The simulated feed is server code: every FEED_MS ms (default 1000) it calls the room's `tick` action through a room handle
// (for room FEED_ROOM, default "main"); a failed tick is logged and the next one tries again.
const feedRoom = rooms.room("dashboard", Deno.env.get("FEED_ROOM") ?? "main");
const feed = setInterval(() => {
  feedRoom.call("tick").catch((error) => console.error(`dashboard feed: tick of dashboard/${feedRoom.name} failed (${error.message}); the next one runs in ${feedMs} ms.`));
}, feedMs);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    clearInterval(feed);
    await rooms.close();
    // Give the 1001 close frames a moment to leave; a peer that never answers does not hold the exit.
    await Promise.race([server.shutdown(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    Deno.exit(0);
  });
}
