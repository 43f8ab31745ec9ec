import { cloudflareRooms } from "../../adapters/cloudflare/index.ts";
import { dashboardApp } from "./app.ts";
import { dashboard } from "./room.ts";

// PORT=8788 DATA_DIR=./.data npm run start:dashboard:cloudflare (wrangler dev -c examples/dashboard/wrangler.toml)
const rooms = cloudflareRooms({ rooms: { dashboard } });
const app = dashboardApp(rooms.app);

/** The Durable Object class behind every dashboard room (wrangler.toml `class_name`). */
export const RoomObject = rooms.RoomObject;

export default { fetch: app.fetch };
