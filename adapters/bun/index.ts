import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { Hono } from "hono";
import { HARD_QUEUE_FACTOR, processRooms, resolveLimits, type ClusterOption, roomKey, type Attachment, type ConnectionCapOptions, type ConnectionCount, type RoomAddress, type RoomsOptions, type SendStatus } from "../../src/index.ts";
import type { AnyRoomDefinition, RoomHandles } from "../../src/index.ts";
import { procOpenFileLimit } from "../shared/open-files.ts";
import { bunSqliteStore } from "./sqlite.ts";

/** Options of `bunRooms`. */
export interface BunRoomsOptions extends RoomsOptions, ConnectionCapOptions, ClusterOption {
  /** Directory for `rooms.sqlite` (room storage and alarms). Without it, storage lives in memory. */
  dataDir?: string;
  /** Seconds a connection may stay silent (Bun answers protocol pings for it) before it is dropped. Default 120. */
  idleTimeout?: number;
}

/** What Bun keeps on each socket. */
interface SocketData {
  address: RoomAddress;
  attachment: Attachment;
}

type Socket = ServerWebSocket<SocketData>;

/** What `bunRooms` returns: the routes, `fetch` and `websocket` for `Bun.serve`, and a graceful `close`. */
export interface BunRooms<R extends Record<string, AnyRoomDefinition> = Record<string, AnyRoomDefinition>> extends RoomHandles<R> {
  /** The room routes, to mount in your own Hono app. */
  app: Hono<any>;
  /** `fetch` for `Bun.serve` when roomwire is the whole app. */
  fetch(request: Request, server: Server<SocketData>): Response | Promise<Response>;
  /** The `websocket` handlers for `Bun.serve`. */
  websocket: WebSocketHandler<SocketData>;
  /** Connections this process holds (open, or being upgraded) and its `maxProcessConnections`. */
  connections(): ConnectionCount;
  /** Closes every connection with 1001 (going away), waits for the rooms' handlers, stops alarms and closes the database. */
  close(): Promise<void>;
}

/**
 * Serves rooms on `Bun.serve`: pass `fetch` and `websocket` to it, or mount
 * `app` in your own Hono app and pass that app's `fetch`.
 *
 * @example
 * const rooms = bunRooms({ rooms: { chat }, dataDir: "./.data" });
 * Bun.serve({ port: 8787, fetch: rooms.fetch, websocket: rooms.websocket });
 */
export function bunRooms<const R extends Record<string, AnyRoomDefinition>>(options: BunRoomsOptions & { rooms: R }): BunRooms<R> {
  const store = options.cluster ? undefined : bunSqliteStore(options.dataDir);
  let server: Server<SocketData> | undefined;
  const rooms = processRooms<Socket>(options.rooms, () => store!, {
    send: (ws, frame) => status(ws.send(frame)),
    close: (ws, code, reason) => ws.close(code, reason),
    attachment: (ws) => ws.data.attachment,
    setAttachment: (ws, attachment) => void (ws.data.attachment = attachment),
    buffered: (ws) => ws.getBufferedAmount(),
    // Every socket of a room subscribes to the room's key, so Bun's publish reaches exactly the room.
    publish(key, frame, except) {
      if (except) return status(except.publish(key, frame));
      return server ? status(server.publish(key, frame)) : false;
    },
  }, options.fallback, options.cluster);

  const app = rooms.routes(options, {
    accept(c, { address, attachment }) {
      server = c.env as Server<SocketData>;
      if (!server?.upgrade(c.req.raw, { data: { address, attachment } })) {
        return new Response("WebSocket upgrade failed: expected a valid WebSocket handshake.", { status: 400 });
      }
      // Bun has already answered 101; this value is ignored.
      return new Response(null);
    },
    http: (c, address) => rooms.http(address, c.req.raw),
    // The peer's address, for the per-client bound on fallback sessions.
    client: (c) => (c.env as Server<SocketData> | undefined)?.requestIP?.(c.req.raw)?.address,
  }, procOpenFileLimit());

  const websocket: WebSocketHandler<SocketData> = {
    idleTimeout: options.idleTimeout ?? 120,
    // Bun drops what it cannot queue past this: it closes the socket instead (the core closes slow consumers before, with 1013).
    backpressureLimit: hardQueueLimit(options.rooms),
    closeOnBackpressureLimit: true,
    maxPayloadLength: Math.max(...Object.values(options.rooms).map((definition) => resolveLimits(definition.limits).maxMessageBytes)),
    open(ws) {
      ws.subscribe(roomKey(ws.data.address));
      rooms.open(ws.data.address, ws);
    },
    message(ws, message) {
      rooms.message(ws.data.address, ws, typeof message === "string" ? message : new Uint8Array(message.buffer, message.byteOffset, message.byteLength));
    },
    close(ws, code, reason) {
      rooms.closed(ws.data.address, ws, code, reason);
    },
  };

  return {
    app,
    fetch: (request, bunServer) => app.fetch(request, bunServer),
    websocket,
    room: (type, name) => rooms.handle(type, name) as never,
    connections: () => rooms.connections(),
    async close() {
      await rooms.close();
      store?.close();
    },
  };
}

/** Past the core's own hard bound of every room (Bun's 16 MiB default for rooms without one), so the core closes first. */
function hardQueueLimit(rooms: BunRoomsOptions["rooms"]): number {
  return Math.max(...Object.values(rooms).map((definition) => {
    const outbound = resolveLimits(definition.limits).outbound;
    return outbound ? (HARD_QUEUE_FACTOR + 1) * outbound.maxQueuedBytes : 16 * 1024 * 1024;
  }));
}

function status(result: number): SendStatus {
  return result > 0 ? "sent" : result === -1 ? "buffered" : "dropped";
}
