import { cloudflareRooms } from "../../adapters/cloudflare/index.ts";
import { cursorsApp } from "./app.ts";
import { cursors } from "./room.ts";

// PORT=8790 DATA_DIR=./.data node scripts/start-cloudflare.mjs -c examples/cursors/wrangler.toml (wrangler dev)
const rooms = cloudflareRooms({ rooms: { cursors } });
const app = cursorsApp(rooms.app);

/** The Durable Object class behind every canvas (wrangler.toml `class_name`). */
export const RoomObject = rooms.RoomObject;

export default { fetch: app.fetch };
