import { env as workerEnv } from "cloudflare:workers";
import type { Context, Hono } from "hono";
import { readBody, resolveLimits, roomHandle, roomKey, roomRoutes, type AcceptedUpgrade, type AnyRoomDefinition, type RoomAddress, type RoomHandles, type RoomReach, type RoomsOptions } from "../../src/index.ts";
import { CLIENT_HEADER, CONNECTION_HEADER, ROOM_HEADER, roomObjectClass, SESSION_HEADER, STREAM_HEADER, UPGRADE_HEADER, type RoomObjectClass, type RoomObjectInstance } from "./room-object.ts";

import type { WorkerContext } from "./workers.ts";

export type { RoomObjectClass, RoomObjectInstance } from "./room-object.ts";
export type { HibernatingSocket, ObjectState, ObjectStorage, SqlValue, WorkerContext } from "./workers.ts";

/** Options of `cloudflareRooms`. */
export interface CloudflareRoomsOptions extends RoomsOptions {
  /** Name of the Durable Object binding (wrangler.toml `durable_objects.bindings`). Default `"ROOMS"`. */
  binding?: string;
  /** Seconds after which a connection that neither pings nor sends is dropped. Default 120. */
  idleTimeout?: number;
}

/**
 * What `cloudflareRooms` returns: the routes, the Worker's `fetch`, the rooms'
 * Durable Object class, and handles on rooms (`room(type, name)`), usable in
 * the Worker's `fetch`, `scheduled` and `queue` handlers.
 */
export interface CloudflareRooms<R extends Record<string, AnyRoomDefinition> = Record<string, AnyRoomDefinition>> extends RoomHandles<R> {
  /** The room routes, to mount in your own Hono app. */
  app: Hono<any>;
  /** The Worker's `fetch` when roomwire is the whole app. */
  fetch(request: Request, env: unknown, ctx: WorkerContext): Response | Promise<Response>;
  /** The Durable Object class; export it from the Worker under wrangler.toml's `class_name`. */
  RoomObject: RoomObjectClass;
}

/**
 * Serves rooms on Cloudflare Workers: the Worker routes and runs `upgrade`
 * (auth) before any Durable Object is touched; each room is one object of
 * the returned `RoomObject` class, on the hibernation API.
 *
 * @example
 * const rooms = cloudflareRooms({ rooms: { chat } });
 * export const RoomObject = rooms.RoomObject; // class_name in wrangler.toml
 * export default { fetch: rooms.fetch };
 */
export function cloudflareRooms<const R extends Record<string, AnyRoomDefinition>>(options: CloudflareRoomsOptions & { rooms: R }): CloudflareRooms<R> {
  const binding = options.binding ?? "ROOMS";
  const missing =
    `No Durable Object binding "${binding}" in this Worker's env, so roomwire cannot reach its rooms. ` +
    `Expected a binding of that name to the class you export as rooms.RoomObject: add it to wrangler.toml's durable_objects.bindings ` +
    `([[durable_objects.bindings]] name = "${binding}", class_name = "RoomObject"), or pass { binding } with the name your wrangler.toml uses.`;
  let reported = false;

  /** The room objects' namespace in `env`, or undefined when the Worker has no such binding (or it is not a Durable Object namespace). */
  function namespaceIn(env: unknown): DurableObjectNamespace | undefined {
    const candidate = (env as Record<string, unknown> | undefined)?.[binding] as Partial<DurableObjectNamespace> | undefined;
    return typeof candidate?.idFromName === "function" && typeof candidate.get === "function" ? (candidate as DurableObjectNamespace) : undefined;
  }
  const namespaceOf = (c: Context) => namespaceIn(c.env);

  /** Room handles' requests go to the room's object by Durable Object RPC. */
  function reach(env: unknown): RoomReach {
    return {
      act(address, request) {
        const namespace = namespaceIn(env);
        if (!namespace) return Promise.reject(new Error(missing));
        const stub = namespace.get(namespace.idFromName(roomKey(address))) as unknown as RoomObjectInstance;
        return stub.roomwireAct(address, request);
      },
    };
  }

  /** Checked before a check, an upgrade or plain HTTP reaches a room, so `?roomwire_check` answers what the upgrade would. */
  function refuse(c: Context): Response | undefined {
    if (namespaceOf(c)) return undefined;
    if (!reported) {
      reported = true;
      console.error(`roomwire: ${missing}`);
    }
    return c.text(missing, 500);
  }

  /** Forwards to the room's object, with the headers only the Worker may set (`extra`: a fallback session's). */
  function forward(c: Context, address: RoomAddress, connection: string | undefined, extra: Record<string, string> = {}, body?: string): Promise<Response> {
    const namespace = namespaceOf(c);
    if (!namespace) throw new Error(missing);
    const headers = new Headers(c.req.raw.headers);
    headers.set(ROOM_HEADER, JSON.stringify(address));
    headers.delete(UPGRADE_HEADER);
    for (const name of [STREAM_HEADER, SESSION_HEADER, CLIENT_HEADER]) headers.delete(name);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    if (connection === undefined) {
      headers.delete(CONNECTION_HEADER);
      // workerd's fetch turns any request with `Upgrade: websocket` into a GET WebSocket handshake (method and body lost),
      // so plain HTTP carries its Upgrade header to the object under another name.
      const upgrade = headers.get("upgrade");
      headers.delete("upgrade");
      if (upgrade !== null) headers.set(UPGRADE_HEADER, upgrade);
    } else {
      headers.set(CONNECTION_HEADER, connection);
    }
    const stub = namespace.get(namespace.idFromName(roomKey(address)));
    return stub.fetch(body === undefined ? new Request(c.req.raw, { headers }) : new Request(c.req.raw.url, { method: "POST", headers, body }));
  }

  const app = roomRoutes(options, {
    refuse,
    accept: (c, { address, attachment }: AcceptedUpgrade) => forward(c, address, JSON.stringify(attachment)),
    http: (c, address) => forward(c, address, undefined),
    // Fallback sessions live in the room's object: the stream comes from it, and each POST goes through the Worker to it.
    stream: (c, { address, attachment }: AcceptedUpgrade) => forward(c, address, undefined, { [STREAM_HEADER]: JSON.stringify(attachment), ...clientHeader(c) }),
    // The size limit is applied here, so an oversized body never travels to the object.
    post: async (c, address, session, definition) => {
      const body = await readBody(c.req.raw, resolveLimits(definition.limits).maxMessageBytes);
      if (body === undefined) return c.text(`The frames are over ${resolveLimits(definition.limits).maxMessageBytes} bytes; send fewer or smaller frames at a time.`, 413);
      return forward(c, address, undefined, { [SESSION_HEADER]: session }, body);
    },
  });

  return {
    app,
    fetch: (request, env, ctx) => app.fetch(request, env, ctx as ExecutionContext),
    RoomObject: roomObjectClass({ rooms: options.rooms, idleTimeoutSeconds: options.idleTimeout ?? 120, reach, fallback: options.fallback }),
    // The Worker's env from the runtime, so a handle works in any handler without passing env along.
    room: (type, name) => roomHandle(reach(workerEnv), options.rooms, type, name) as never,
  };
}

/** The client's address as Cloudflare gives it, for the per-client bound on fallback sessions. */
function clientHeader(c: Context): Record<string, string> {
  const address = c.req.header("cf-connecting-ip");
  return address ? { [CLIENT_HEADER]: address } : {};
}
