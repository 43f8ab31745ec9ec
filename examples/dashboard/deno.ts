import { denoRooms, serve } from "../../adapters/deno/index.ts";
import { dashboardApp } from "./app.ts";
import { startFeed } from "./feed.ts";
import { dashboard } from "./room.ts";

// PORT=8788 DATA_DIR=./.data HOST=127.0.0.1 FEED_MS=1000 FEED_ROOM=main deno run -A examples/dashboard/deno.ts
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8788);
const rooms = denoRooms({ rooms: { dashboard }, dataDir: Deno.env.get("DATA_DIR") ?? "./.data" });
const app = dashboardApp(rooms.app);

const server = serve({ hostname, port, onListen: ({ port }) => console.log(`dashboard listening on http://${hostname}:${port}`) }, app.fetch);

const stopFeed = startFeed(rooms, (name) => Deno.env.get(name));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    stopFeed();
    await rooms.close();
    // Give the 1001 close frames a moment to leave; a peer that never answers does not hold the exit.
    await Promise.race([server.shutdown(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    Deno.exit(0);
  });
}
