import { cloudflareRooms } from "../../adapters/cloudflare/index.ts";
import { inboxApp } from "./app.ts";
import { inbox } from "./room.ts";

// PORT=8787 DATA_DIR=./.data node scripts/start-cloudflare.mjs -c examples/inbox/wrangler.toml
// (wrangler dev; to deploy, see wrangler.toml: the token becomes a secret)
const rooms = cloudflareRooms({ rooms: { inbox } });
// No fallback here: wrangler.toml's [vars] sets the development token, a deployment a secret; with neither, pushes are refused.
const app = inboxApp(rooms, (c) => (c.env as { PUSH_TOKEN?: string } | undefined)?.PUSH_TOKEN);

/** The Durable Object class behind every inbox (wrangler.toml `class_name`). */
export const RoomObject = rooms.RoomObject;

export default { fetch: app.fetch };
