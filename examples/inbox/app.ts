import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type * as v from "valibot";
import { RoomCallError, type RoomHandles } from "../../src/index.ts";
import type { inbox, pushInput } from "./room.ts";

/** The token the Bun, Deno and Node entries fall back to when PUSH_TOKEN is not set (and wrangler.toml's `[vars]`). */
export const DEV_PUSH_TOKEN = "dev-push-token";

/**
 * Largest push body, in bytes. Well above what `push` accepts (2,000
 * characters of text, even JSON-escaped), so the room's schema is what
 * refuses long text with a clear message; this only stops a huge body from
 * being read at all.
 */
export const MAX_BODY_BYTES = 16 * 1024;

/** A runtime's rooms, as every adapter returns them: the room routes and handles on the inbox rooms. */
export type InboxRooms = RoomHandles<{ inbox: typeof inbox }> & { app: Hono<any> };

/** The push token this deployment accepts, per request (Cloudflare reads it from `c.env`); undefined when none is set. */
export type PushToken = (c: Context) => string | undefined;

/**
 * The inbox app around a runtime's rooms: a health check, the backend's
 * push endpoint, and the room routes the tabs connect to
 * (`/rooms/inbox/<user id>?user=<user id>`).
 *
 * `POST /push/:user` with `authorization: Bearer <PUSH_TOKEN>` and a JSON
 * body `{ text, from? }` answers 200 `{ id, tabs }`, or `{ code, message }`
 * with 401 (no or wrong token), 400 (bad body or user id), 413 (body over
 * `MAX_BODY_BYTES`) or 500.
 */
export function inboxApp(rooms: InboxRooms, pushToken: PushToken): Hono<any> {
  const app = new Hono<any>();
  app.get("/health", (c) => c.text("ok"));

  app.post(
    "/push/:user",
    // Checked before the body is read: an unauthenticated caller cannot make the server read anything.
    async (c, next) => {
      const expected = pushToken(c);
      if (!expected) {
        console.error("inbox: no PUSH_TOKEN is configured, so every push is refused.");
        return c.json({ code: "not_configured", message: "This server has no push token configured." }, 500);
      }
      const presented = /^Bearer (\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
      if (presented === undefined || !sameSecret(presented, expected)) {
        return c.json({ code: "unauthorized", message: "Send authorization: Bearer <PUSH_TOKEN>." }, 401, { "www-authenticate": "Bearer" });
      }
      await next();
    },
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ code: "too_large", message: `The body is over ${MAX_BODY_BYTES} bytes.` }, 413),
    }),
    async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ code: "invalid_data", message: 'The body must be JSON: { "text": string, "from"?: string }.' }, 400);
      }
      try {
        // rooms.room throws at once for a user id that is not a valid room name; the room's schema checks the body.
        const result = await rooms.room("inbox", c.req.param("user")).call("push", body as v.InferInput<typeof pushInput>);
        return c.json(result);
      } catch (error) {
        if (error instanceof RoomCallError) {
          if (error.code === "invalid_data") return c.json({ code: error.code, message: error.message }, 400);
          // not_stored (nothing happened: the caller may retry), action_failed …
          console.error(`inbox: push to ${error.room.name} failed: ${error.code}: ${error.message}`);
          return c.json({ code: error.code, message: error.message }, 500);
        }
        console.error("inbox: push failed:", error);
        return c.json({ code: "internal", message: "The push failed; it was not delivered." }, 500);
      }
    },
  );

  app.route("/", rooms.app);
  return app;
}

/** The token from the environment, or the development one with a warning, for the Bun, Deno and Node entries. */
export function pushTokenFrom(value: string | undefined): string {
  if (value) return value;
  console.warn(`inbox: PUSH_TOKEN is not set, so POST /push accepts the development token "${DEV_PUSH_TOKEN}". Set PUSH_TOKEN anywhere but your own machine.`);
  return DEV_PUSH_TOKEN;
}

const encoder = new TextEncoder();

/** Compares a presented secret with the expected one in time that does not depend on where they differ. */
function sameSecret(presented: string, expected: string): boolean {
  const a = encoder.encode(presented);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i % b.length] ?? 0);
  return diff === 0;
}
