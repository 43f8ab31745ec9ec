import { nodeRooms } from "../../adapters/node/index.ts";
import { inboxApp, pushTokenFrom } from "./app.ts";
import { inbox } from "./room.ts";

// PORT=8787 DATA_DIR=./.data HOST=127.0.0.1 PUSH_TOKEN=… node --import tsx examples/inbox/node.ts
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const rooms = nodeRooms({ rooms: { inbox }, dataDir: process.env.DATA_DIR ?? "./.data" });
const token = pushTokenFrom(process.env.PUSH_TOKEN);
const app = inboxApp(rooms, () => token);

const server = await rooms.serve({ hostname, port, fetch: app.fetch });
const address = server.address();
console.log(`inbox listening on http://${hostname}:${typeof address === "object" && address ? address.port : port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await rooms.close();
    process.exit(0);
  });
}
