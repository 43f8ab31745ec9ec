import { cloudflareRooms } from "../../adapters/cloudflare/index.ts";
import { dashboardApp } from "./app.ts";
import { dashboard } from "./room.ts";

// PORT=8788 DATA_DIR=./.data npm run start:dashboard:cloudflare (wrangler dev -c examples/dashboard/wrangler.toml)
const rooms = cloudflareRooms({ rooms: { dashboard } });
const app = dashboardApp(rooms.app);

/** The Durable Object class behind every dashboard room (wrangler.toml `class_name`). */
export const RoomObject = rooms.RoomObject;

/** One step of the simulated feed: the room's `tick` action, called through a room handle. A failure is logged; the next cron tries again. */
async function feed(room: string): Promise<void> {
  try {
    await rooms.room("dashboard", room).call("tick");
  } catch (error) {
    console.error(`dashboard feed: tick of dashboard/${room} failed (${error instanceof Error ? error.message : String(error)}); the next cron tries again.`);
  }
}

export default {
  fetch: app.fetch,
  /**
   * The simulated feed is server code: wrangler.toml's cron trigger ("* * * * *")
   * runs this once a minute, the finest a cron goes, for room FEED_ROOM (a var, default "main").
   * Locally, `wrangler dev --test-scheduled` runs it on GET /__scheduled.
   */
  scheduled(_controller: ScheduledController, env: { FEED_ROOM?: string }, ctx: ExecutionContext): void {
    ctx.waitUntil(feed(env.FEED_ROOM ?? "main"));
  },
};
