import * as v from "valibot";
import { defineRoom } from "../../src/index.ts";

/**
 * The cursors room: a shared canvas where every member's pointer is drawn
 * live. It keeps nothing but presence: one member per user id (two tabs of
 * one user are one member), whose state is their display name and cursor.
 * Pages send their own cursor (throttled, see page.ts); the room validates
 * it and sends it on to everyone.
 */

/** A user id: `?user=` of the room URL and the member key. */
const USER = /^[A-Za-z0-9_-]{1,64}$/;
/** A display name: 1–32 characters after trimming, no control characters. */
export const NAME_MAX = 32;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** How long a member whose last tab went stays listed (and drawn where it was): a reload sends no leave. */
export const GRACE_MS = 3_000;

const name = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, "a name is 1–32 characters"),
  v.maxLength(NAME_MAX, "a name is 1–32 characters"),
  v.check((text) => !CONTROL.test(text), "a name has no control characters"),
);
/** A position on the canvas, from 0 (left, top) to 1 (right, bottom). */
const coordinate = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1));

/** A member's presence state: their name, and their cursor on the canvas (null while it is off the canvas). */
export const cursorState = v.object({
  name,
  cursor: v.nullable(v.object({ x: coordinate, y: coordinate })),
});
export type CursorState = v.InferOutput<typeof cursorState>;

export const cursors = defineRoom({
  upgrade(request) {
    const params = new URL(request.url).searchParams;
    const user = params.get("user");
    if (user === null || !USER.test(user)) {
      return new Response("Add ?user=<id>: 1–64 characters of A–Z, a–z, 0–9, '_' and '-'.\n", { status: 400 });
    }
    const shown = v.safeParse(name, params.get("name") ?? "");
    if (!shown.success) return new Response(`Add &name=<display name>: ${shown.issues[0].message}.\n`, { status: 400 });
    return { user, name: shown.output };
  },
  presence: {
    member: (data) => data.user,
    state: cursorState,
    graceMs: GRACE_MS,
  },
  /** A member's first tab names them at once, before their cursor moves; a tab of a member who has a state keeps it. */
  async connect(connection, room) {
    const me = (await room.presence.members()).find((each) => each.member === connection.data.user);
    if (me?.state == null) await room.presence.set(connection.data.user, { name: connection.data.name, cursor: null } satisfies CursorState);
  },
  // A cursor frame is some 80 bytes; a page sends at most 20 a second (the default rate limit allows 50).
  limits: { maxMessageBytes: 1024 },
});
