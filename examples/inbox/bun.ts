import { bunRooms } from "../../adapters/bun/index.ts";
import { inboxApp, pushTokenFrom } from "./app.ts";
import { inbox } from "./room.ts";

// PORT=8787 DATA_DIR=./.data HOST=127.0.0.1 PUSH_TOKEN=… bun examples/inbox/bun.ts
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const rooms = bunRooms({ rooms: { inbox }, dataDir: process.env.DATA_DIR ?? "./.data" });
const token = pushTokenFrom(process.env.PUSH_TOKEN);
const app = inboxApp(rooms, () => token);

const server = Bun.serve({ hostname, port, fetch: app.fetch, websocket: rooms.websocket });
console.log(`inbox listening on http://${hostname}:${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await rooms.close();
    server.stop();
    process.exit(0);
  });
}
