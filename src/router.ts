import { Hono, type Context } from "hono";
import { makeAttachment } from "./attachment.ts";
import { isRoomName } from "./names.ts";
import type { FallbackLimits } from "./fallback/sessions.ts";
import { SESSION_PARAM } from "./fallback/stream-session.ts";
import { CHECK_PARAM, SINCE_PARAM } from "./protocol.ts";
import type { Attachment } from "./ports.ts";
import type { AnyRoomDefinition as RoomDefinition, AnyRoomDefinition, RoomAddress } from "./types.ts";

/** Options shared by every runtime's room routes. */
export interface RoomsOptions {
  /** Room types by name: `/rooms/<type>/<name>`. */
  rooms: Record<string, AnyRoomDefinition>;
  /** Path prefix of the room routes. Default `/rooms`. */
  prefix?: string;
  /**
   * Browser origins allowed to open a room (exact `Origin` values, or a test).
   * Others get 403 before any room code runs. Requests without an `Origin`
   * header (non-browser clients) are allowed. Default: every origin.
   */
  origins?: readonly string[] | ((origin: string) => boolean);
  /** Bounds on fallback sessions (event stream + POST) for clients that cannot open a WebSocket; see `FallbackLimits`. */
  fallback?: FallbackLimits;
}

/** An upgrade the core has checked and authorised: where it goes and what the socket carries. */
export interface AcceptedUpgrade {
  address: RoomAddress;
  definition: RoomDefinition;
  attachment: Attachment;
}

/** What a runtime does once the core has decided: accept a socket, or pass a plain request to the room. */
export interface RoomHost {
  accept(c: Context, upgrade: AcceptedUpgrade): Response | Promise<Response>;
  http(c: Context, address: RoomAddress, definition: RoomDefinition): Response | Promise<Response>;
  /** Opens a fallback session: an event stream (the response) carrying the room's frames. Without it, such a GET is answered 426. */
  stream?(c: Context, upgrade: AcceptedUpgrade): Response | Promise<Response>;
  /** A fallback session's POST of frames (`?roomwire_session=<id>`). */
  post?(c: Context, address: RoomAddress, session: string, definition: RoomDefinition): Response | Promise<Response>;
  /** Who the client is (its address), to bound fallback sessions per client; undefined when the runtime cannot tell. */
  client?(c: Context): string | undefined;
  /**
   * Asked before a request reaches a room (a `roomwire_check`, an upgrade, or
   * plain HTTP): a `Response` refuses it, `undefined` lets it through. For a
   * host that cannot serve rooms as configured (e.g. a missing binding), so
   * the check answers what the upgrade would.
   */
  refuse?(c: Context, address: RoomAddress): Response | undefined | Promise<Response | undefined>;
}

/**
 * The room routes as a Hono app: routing, room-name rules, the origin
 * allowlist, the `upgrade` hook and the connection-data budget, the same on
 * every runtime. Adapters call this; users mount what the adapter returns.
 */
export function roomRoutes(options: RoomsOptions, host: RoomHost): Hono<any> {
  const prefix = (options.prefix ?? "/rooms").replace(/\/+$/, "");
  const allowed = originTest(options.origins);
  const app = new Hono<any>();
  const unknownType = (c: Context, type: string) => c.text(`No room type "${type}" here; room routes are ${prefix}/<type>/<name>.`, 404);
  const invalidName = (c: Context) => c.text("Invalid room name: use 1–128 characters of A–Z, a–z, 0–9, '.', '_', '~' and '-', other than '.' and '..'.", 400);
  const roomType = (type: string | undefined) => (type !== undefined && Object.hasOwn(options.rooms, type) ? options.rooms[type] : undefined);

  // Type and name come from Hono's params, so the routes work wherever the app is mounted (`app.route("/ws", rooms.app)`).
  // The name takes the rest of the path, slashes included, so `/rooms/chat/a/b` is an invalid name (400), not a miss.
  // Hono decodes each param once after matching: an encoded slash stays in the name, a malformed escape keeps its `%`.
  // Every Hono router accepts these patterns (some reject a param followed by `*`); `[\s\S]` also takes a decoded `%0A`.
  app.all(`${prefix}/:type/:name{[\\s\\S]+}`, async (c) => {
    const type = c.req.param("type");
    const definition = roomType(type);
    if (!definition) return unknownType(c, type);
    const name = c.req.param("name");
    if (!isRoomName(name)) return invalidName(c);
    const address = { type, name };
    const origin = c.req.header("origin");
    if (origin !== undefined && !(await originAllowed(allowed, origin, definition, address))) {
      return c.text(`Origin ${origin} is not allowed to open rooms here.`, 403);
    }
    const session = c.req.query(SESSION_PARAM);
    if (session !== undefined) {
      if (c.req.method !== "POST") return c.text("A fallback session takes its frames by POST.", 405, { Allow: "POST" });
      if (!host.post) return c.text("No such fallback session here.", 404);
      return host.post(c, address, session, definition);
    }
    const refused = await host.refuse?.(c, address);
    if (refused) return refused;
    // A client that could not open a socket asks whether the upgrade would be refused (browsers cannot see the status).
    if (c.req.method === "GET" && c.req.query(CHECK_PARAM) !== undefined) {
      const checked = await authorise(definition, c.req.raw, address);
      return checked instanceof Response ? checked : c.body(null, 204);
    }
    if (isEventStream(c.req.raw)) {
      if (!host.stream) return c.text("Event streams are not served here: connect with a WebSocket client.", 426, { Upgrade: "websocket" });
      const attachment = await authorise(definition, c.req.raw, address);
      if (attachment instanceof Response) return attachment;
      return host.stream(c, { address, definition, attachment });
    }
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket" || c.req.method !== "GET") {
      if (!definition.http) {
        return c.text("This is a WebSocket endpoint: connect with a WebSocket client.", 426, { Upgrade: "websocket" });
      }
      return host.http(c, address, definition);
    }
    const attachment = await authorise(definition, c.req.raw, address);
    if (attachment instanceof Response) return attachment;
    return host.accept(c, { address, definition, attachment });
  });
  // A type without a name (404), or with an empty one after its slash (400). Some routers match both paths to either pattern.
  const nameless = (c: Context) => {
    const type = c.req.param("type") ?? "";
    if (!roomType(type)) return unknownType(c, type);
    if (c.req.path.endsWith("/")) return invalidName(c);
    return c.text(`Room type "${type}" needs a room name; room routes are ${prefix}/<type>/<name>.`, 404);
  };
  app.all(`${prefix}/:type/`, nameless);
  app.all(`${prefix}/:type`, nameless);
  // Anything else under the prefix (`/rooms`, `/rooms/`, `/rooms//x`).
  app.all(`${prefix}/*`, (c) => unknownType(c, ""));
  return app;
}

/** Runs the origin test; one that throws refuses the origin (403, as a `false` would) and is reported. */
async function originAllowed(test: (origin: string) => boolean, origin: string, definition: RoomDefinition, address: RoomAddress): Promise<boolean> {
  try {
    return test(origin);
  } catch (error) {
    await reportError(definition, error, "origin", address);
    return false;
  }
}

function originTest(origins: RoomsOptions["origins"]): (origin: string) => boolean {
  if (origins === undefined) return () => true;
  if (typeof origins === "function") return origins;
  const set = new Set(origins);
  return (origin) => set.has(origin);
}

/**
 * Runs the room's `upgrade` hook and builds the socket's attachment, or the
 * `Response` that refuses the connection (the hook's own, or 500 when the
 * hook threw or its data broke the budget).
 */
export async function authorise(definition: RoomDefinition, request: Request, address: RoomAddress): Promise<Attachment | Response> {
  try {
    const data = definition.upgrade ? await definition.upgrade(request, address) : {};
    if (data instanceof Response) return data;
    const attachment = makeAttachment(crypto.randomUUID(), data, definition.tags?.(data));
    // A reconnecting client names the last event it saw (roomwire/client sets it; an event stream's client sends Last-Event-ID).
    const since = parseSince(new URL(request.url).searchParams.get(SINCE_PARAM) ?? request.headers.get("last-event-id"));
    if (definition.resume && since !== undefined) attachment.since = since;
    return attachment;
  } catch (error) {
    await reportError(definition, error, "upgrade", address);
    return new Response("The room could not accept this connection.", { status: 500 });
  }
}

/** A GET for a fallback session: an event stream, not a WebSocket upgrade. */
export function isEventStream(request: Request): boolean {
  return request.method === "GET" && request.headers.get("upgrade") === null && (request.headers.get("accept") ?? "").includes("text/event-stream");
}

const SINCE = /^(0|[1-9][0-9]*)$/;

/**
 * `roomwire_since` as roomwire/client writes it: a plain decimal integer up to
 * Number.MAX_SAFE_INTEGER. Anything else (empty, signs, spaces, hex, exponents)
 * counts as absent, so the client gets a fresh `resume` rather than a guess.
 */
function parseSince(value: string | null): number | undefined {
  if (value === null || !SINCE.test(value)) return undefined;
  const since = Number(value);
  return since <= Number.MAX_SAFE_INTEGER ? since : undefined;
}

/** Reports an error thrown before the room is reached to the room type's `error` hook, else to the console. */
async function reportError(definition: RoomDefinition, error: unknown, during: "origin" | "upgrade", address: RoomAddress): Promise<void> {
  try {
    if (definition.error) await definition.error(error, { during });
    else console.error(`roomwire: ${address.type}/${address.name}: ${during === "origin" ? "the origins test threw" : "upgrade failed"}`, error);
  } catch (inner) {
    console.error("roomwire: the error hook threw", inner);
  }
}
