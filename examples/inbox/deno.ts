import { denoRooms, serve } from "../../adapters/deno/index.ts";
import { inboxApp, pushTokenFrom } from "./app.ts";
import { inbox } from "./room.ts";

// PORT=8787 DATA_DIR=./.data HOST=127.0.0.1 PUSH_TOKEN=… deno run -A examples/inbox/deno.ts
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8787);
const rooms = denoRooms({ rooms: { inbox }, dataDir: Deno.env.get("DATA_DIR") ?? "./.data" });
const token = pushTokenFrom(Deno.env.get("PUSH_TOKEN"));
const app = inboxApp(rooms, () => token);

const server = serve({ hostname, port, onListen: ({ port }) => console.log(`inbox listening on http://${hostname}:${port}`) }, app.fetch);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await rooms.close();
    // Give the 1001 close frames a moment to leave; a peer that never answers does not hold the exit.
    await Promise.race([server.shutdown(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    Deno.exit(0);
  });
}
