import { nodeRooms } from "../../adapters/node/index.ts";
import { cursorsApp } from "./app.ts";
import { cursors } from "./room.ts";

// PORT=8790 DATA_DIR=./.data HOST=127.0.0.1 node --import tsx examples/cursors/node.ts
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8790);
const rooms = nodeRooms({ rooms: { cursors }, dataDir: process.env.DATA_DIR ?? "./.data" });
const app = cursorsApp(rooms.app);

const server = await rooms.serve({ hostname, port, fetch: app.fetch });
const address = server.address();
console.log(`cursors listening on http://${hostname}:${typeof address === "object" && address ? address.port : port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await rooms.close();
    process.exit(0);
  });
}
