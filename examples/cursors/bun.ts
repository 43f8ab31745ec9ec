import { bunRooms } from "../../adapters/bun/index.ts";
import { cursorsApp } from "./app.ts";
import { cursors } from "./room.ts";

// PORT=8790 DATA_DIR=./.data HOST=127.0.0.1 bun examples/cursors/bun.ts
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8790);
const rooms = bunRooms({ rooms: { cursors }, dataDir: process.env.DATA_DIR ?? "./.data" });
const app = cursorsApp(rooms.app);

const server = Bun.serve({ hostname, port, fetch: app.fetch, websocket: rooms.websocket });
console.log(`cursors listening on http://${hostname}:${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await rooms.close();
    server.stop();
    process.exit(0);
  });
}
