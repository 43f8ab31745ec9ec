import type { Context, Hono } from "hono";
import { roomRoutes, type AcceptedUpgrade, type RoomAddress, type RoomsOptions } from "../../src/index.ts";
import { CONNECTION_HEADER, ROOM_HEADER, roomObjectClass, UPGRADE_HEADER, type RoomObjectClass } from "./room-object.ts";

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

/** What `cloudflareRooms` returns: the routes, the Worker's `fetch`, and the rooms' Durable Object class. */
export interface CloudflareRooms {
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
export function cloudflareRooms(options: CloudflareRoomsOptions): CloudflareRooms {
  const binding = options.binding ?? "ROOMS";
  const missing =
    `No Durable Object binding "${binding}" in this Worker's env, so roomwire cannot reach its rooms. ` +
    `Expected a binding of that name to the class you export as rooms.RoomObject: add it to wrangler.toml's durable_objects.bindings ` +
    `([[durable_objects.bindings]] name = "${binding}", class_name = "RoomObject"), or pass { binding } with the name your wrangler.toml uses.`;
  let reported = false;

  /** The room objects' namespace, or undefined when the Worker has no such binding (or it is not a Durable Object namespace). */
  function namespaceOf(c: Context): DurableObjectNamespace | undefined {
    const candidate = (c.env as Record<string, unknown> | undefined)?.[binding] as Partial<DurableObjectNamespace> | undefined;
    return typeof candidate?.idFromName === "function" && typeof candidate.get === "function" ? (candidate as DurableObjectNamespace) : undefined;
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

  /** Forwards to the room's object, with the headers only the Worker may set. */
  function forward(c: Context, address: RoomAddress, connection: string | undefined): Promise<Response> {
    const namespace = namespaceOf(c);
    if (!namespace) throw new Error(missing);
    const headers = new Headers(c.req.raw.headers);
    headers.set(ROOM_HEADER, JSON.stringify(address));
    headers.delete(UPGRADE_HEADER);
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
    const stub = namespace.get(namespace.idFromName(`${address.type}/${address.name}`));
    return stub.fetch(new Request(c.req.raw, { headers }));
  }

  const app = roomRoutes(options, {
    refuse,
    accept: (c, { address, attachment }: AcceptedUpgrade) => forward(c, address, JSON.stringify(attachment)),
    http: (c, address) => forward(c, address, undefined),
  });

  return {
    app,
    fetch: (request, env, ctx) => app.fetch(request, env, ctx as ExecutionContext),
    RoomObject: roomObjectClass(options.rooms, options.idleTimeout ?? 120),
  };
}
