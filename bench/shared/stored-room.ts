import * as v from "valibot";
import { defineRoom } from "../../src/index.ts";

/**
 * The room of the persisted scenario, written as a roomwire user writes a
 * room that stores what it is told: every `say` reads a counter, writes it
 * back and stores the message under its number, then broadcasts it.
 *   {"type":"say","data":{"text":…}}  → {"type":"said","data":{"from":…,"text":…}} to everyone, sender included
 *                                        (with `resume`: `,"seq":…` after `data`)
 * The hand-written servers of the scenario (servers/bun-persisted.ts,
 * servers/deno-persisted.ts) store the same keys and send the same frames.
 */

/** The rate limit stays on (its bucket runs on every frame) but never triggers, as in shared/rooms.ts. */
const limits = { rateLimit: { burst: 1e12, perSecond: 1e12, closeAfterMs: 3000 } };

/** The connection's name, from `?u=` (as every bench server does). */
function upgrade(request: Request): { u: string } {
  return { u: new URL(request.url).searchParams.get("u") ?? "anon" };
}

/** The stored room; `resume: true` numbers and logs every broadcast for resuming clients. */
export function storedRoom(resume: boolean) {
  return defineRoom({
    events: { say: v.object({ text: v.pipe(v.string(), v.minLength(1), v.maxLength(2000)) }) },
    emits: { said: v.object({ from: v.string(), text: v.string() }) },
    upgrade,
    resume,
    on: {
      async say({ text }, connection, room) {
        const from = connection.data.u;
        const n = (await room.storage.get<number>("n")) ?? 0;
        await room.storage.put("n", n + 1);
        await room.storage.put("e:" + String(n).padStart(10, "0"), { from, text, at: Date.now() });
        room.broadcast("said", { from, text });
      },
    },
    limits,
  });
}

/** The room of a persisted variant: `roomwire` (resume off) or `roomwire-resume` (resume on). */
export function storedRoomOf(variant: string) {
  if (variant === "roomwire") return storedRoom(false);
  if (variant === "roomwire-resume") return storedRoom(true);
  throw new Error(`not a roomwire variant of the persisted scenario: ${variant}`);
}
