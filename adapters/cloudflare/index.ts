import type { Context, Hono } from "hono";
import { roomRoutes, type AcceptedUpgrade, type RoomAddress, type RoomsOptions } from "../../src/index.ts";
import { CONNECTION_HEADER, ROOM_HEADER, roomObjectClass } from "./room-object.ts";

/** Options of `cloudflareRooms`. */
export interface CloudflareRoomsOptions extends RoomsOptions {
  /** Name of the Durable Object binding (wrangler.toml `durable_objects.bindings`). Default `"ROOMS"`. */
  binding?: string;
  /** Seconds after which a connection that neither pings nor sends is dropped. Default 120. */
  idleTimeout?: number;
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
export function cloudflareRooms(options: CloudflareRoomsOptions) {
  const binding = options.binding ?? "ROOMS";

  /** Forwards to the room's object, with the headers only the Worker may set. */
  function forward(c: Context, address: RoomAddress, connection: string | undefined): Promise<Response> {
    const namespace = (c.env as Record<string, DurableObjectNamespace> | undefined)?.[binding];
    if (!namespace) {
      throw new Error(`No Durable Object binding "${binding}" in this Worker's env; add it to wrangler.toml or pass { binding }.`);
    }
    const headers = new Headers(c.req.raw.headers);
    headers.set(ROOM_HEADER, JSON.stringify(address));
    if (connection === undefined) headers.delete(CONNECTION_HEADER);
    else headers.set(CONNECTION_HEADER, connection);
    const stub = namespace.get(namespace.idFromName(`${address.type}/${address.name}`));
    return stub.fetch(new Request(c.req.raw, { headers }));
  }

  const app = roomRoutes(options, {
    accept: (c, { address, attachment }: AcceptedUpgrade) => forward(c, address, JSON.stringify(attachment)),
    http: (c, address) => forward(c, address, undefined),
  });

  return {
    /** The room routes, to mount in your own Hono app. */
    app: app as Hono<any>,
    /** The Worker's `fetch` when roomwire is the whole app. */
    fetch: (request: Request, env: unknown, ctx: ExecutionContext) => app.fetch(request, env, ctx),
    /** The Durable Object class; export it from the Worker under wrangler.toml's `class_name`. */
    RoomObject: roomObjectClass(options.rooms, options.idleTimeout ?? 120),
  };
}
