import { denoKvCluster, denoRooms, serve } from "../../adapters/deno/index.ts";
import { redisCluster } from "../../adapters/redis/index.ts";
import { chatApp } from "./app.ts";
import { chat } from "./room.ts";

// PORT=8787 DATA_DIR=./.data HOST=127.0.0.1 deno run -A examples/chat/deno.ts
// With REDIS_URL=redis://… several processes share the rooms (a cluster). With KV_URL=http://… (a KV Connect server, such
// as denokv) they share that Deno KV database instead. On Deno Deploy: denoKvCluster({ kv: Deno.openKv() }).
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8787);
const redis = Deno.env.get("REDIS_URL");
const dataDir = Deno.env.get("DATA_DIR") ?? "./.data";
const kvUrl = Deno.env.get("KV_URL");
const cluster = redis ? redisCluster({ url: redis }) : kvUrl ? denoKvCluster({ kv: Deno.openKv(kvUrl) }) : undefined;
const rooms = denoRooms({ rooms: { chat }, dataDir, cluster });
const app = chatApp(rooms.app);

const server = serve({ hostname, port, onListen: ({ port }) => console.log(`chat listening on http://${hostname}:${port}`) }, app.fetch);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await rooms.close();
    // Give the 1001 close frames a moment to leave; a peer that never answers does not hold the exit.
    await Promise.race([server.shutdown(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    Deno.exit(0);
  });
}
