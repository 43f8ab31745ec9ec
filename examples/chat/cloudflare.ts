import { cloudflareRooms } from "../../adapters/cloudflare/index.ts";
import { chatApp } from "./app.ts";
import { chat } from "./room.ts";

// npx wrangler dev --ip 127.0.0.1 --port 8787 --persist-to ./.data (see wrangler.toml)
const rooms = cloudflareRooms({ rooms: { chat } });
const app = chatApp(rooms.app);

/** The Durable Object class behind every chat room (wrangler.toml `class_name`). */
export const RoomObject = rooms.RoomObject;

export default { fetch: app.fetch };
