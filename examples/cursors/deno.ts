import { denoRooms, serve } from "../../adapters/deno/index.ts";
import { cursorsApp } from "./app.ts";
import { cursors } from "./room.ts";

// PORT=8790 DATA_DIR=./.data HOST=127.0.0.1 deno run -A examples/cursors/deno.ts
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8790);
const rooms = denoRooms({ rooms: { cursors }, dataDir: Deno.env.get("DATA_DIR") ?? "./.data" });
const app = cursorsApp(rooms.app);

const server = serve({ hostname, port, onListen: ({ port }) => console.log(`cursors listening on http://${hostname}:${port}`) }, app.fetch);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await rooms.close();
    // Give the 1001 close frames a moment to leave; a peer that never answers does not hold the exit.
    await Promise.race([server.shutdown(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    Deno.exit(0);
  });
}
