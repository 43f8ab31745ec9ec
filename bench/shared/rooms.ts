import * as v from "valibot";
import { defineRoom } from "../../src/index.ts";

/**
 * The two roomwire rooms of the bench. Both answer the bench's messages the
 * same way as the hand-written servers (shared/protocol.ts):
 *   {"type":"say","data":{"text":…}}  → broadcast {"type":"said","data":{"from":…,"text":…}} to everyone, sender included
 *   {"type":"echo","id":…}            → {"type":"reply","id":…,"data":null}
 *   ping                              → pong (the core answers it)
 * `typed` validates every message with a valibot schema; `raw` uses
 * `v.unknown()` everywhere, so it pays for no validation.
 */

/** The rate limit stays on (its bucket runs on every frame, as in production) but never triggers. */
const limits = { rateLimit: { burst: 1e12, perSecond: 1e12, closeAfterMs: 3000 } };

/** The connection's name, from `?u=` (as every bench server does). */
function upgrade(request: Request): { u: string } {
  return { u: new URL(request.url).searchParams.get("u") ?? "anon" };
}

export const typed = defineRoom({
  events: { say: v.object({ text: v.pipe(v.string(), v.minLength(1), v.maxLength(2000)) }) },
  requests: { echo: v.optional(v.object({})) },
  emits: { said: v.object({ from: v.string(), text: v.string() }) },
  upgrade,
  on: {
    say({ text }, connection, room) {
      room.broadcast("said", { from: connection.data.u, text });
    },
  },
  replies: { echo: () => null },
  limits,
});

export const raw = defineRoom({
  events: { say: v.unknown() },
  requests: { echo: v.unknown() },
  upgrade,
  on: {
    say(data, connection, room) {
      room.broadcast("said", { from: connection.data.u, text: (data as { text: string }).text });
    },
  },
  replies: { echo: () => null },
  limits,
});

/** The room definition of a roomwire variant. */
export function benchRoom(variant: string) {
  if (variant === "roomwire") return typed;
  if (variant === "roomwire-raw") return raw;
  throw new Error(`not a roomwire variant: ${variant}`);
}
