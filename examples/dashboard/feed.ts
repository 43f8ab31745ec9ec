import type { RoomHandles } from "../../src/index.ts";
import type { dashboard } from "./room.ts";

/**
 * The simulated feed of a long-running process (Bun, Deno, Node) is server
 * code: every `FEED_MS` ms (default 1000) it calls the `tick` action of room
 * `FEED_ROOM` (default "main") through a room handle; a failed tick is
 * logged and the next one tries again. Returns what stops it.
 */
export function startFeed(rooms: RoomHandles<{ dashboard: typeof dashboard }>, env: (name: string) => string | undefined): () => void {
  const feedMs = Number(env("FEED_MS") ?? 1_000);
  if (!(feedMs > 0)) throw new Error(`FEED_MS is ${JSON.stringify(env("FEED_MS"))}; set it to the feed's period in milliseconds, e.g. 1000.`);
  const room = rooms.room("dashboard", env("FEED_ROOM") ?? "main");
  const timer = setInterval(() => {
    room.call("tick").catch((error: Error) => console.error(`dashboard feed: tick of dashboard/${room.name} failed (${error.message}); the next one runs in ${feedMs} ms.`));
  }, feedMs);
  return () => clearInterval(timer);
}
