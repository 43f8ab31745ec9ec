import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { Context, Hono } from "hono";
import {
  RoomEngine,
  roomRoutes,
  resolveLimits,
  type AcceptedUpgrade,
  type Attachment,
  type RoomAddress,
  type AnyRoomDefinition as RoomDefinition,
  type RoomsOptions,
  type SendStatus,
} from "../../src/index.ts";
import { SqliteRooms } from "./sqlite-storage.ts";

/** Options of `bunRooms`. */
export interface BunRoomsOptions extends RoomsOptions {
  /** Directory for `rooms.sqlite` (room storage and alarms). Without it, storage lives in memory. */
  dataDir?: string;
  /** Seconds a connection may stay silent (Bun answers protocol pings for it) before it is dropped. Default 120. */
  idleTimeout?: number;
}

/** What Bun keeps on each socket. */
interface SocketData {
  key: string;
  address: RoomAddress;
  attachment: Attachment;
}

type Socket = ServerWebSocket<SocketData>;

interface LiveRoom {
  engine: RoomEngine<Socket>;
  sockets: Set<Socket>;
}

/**
 * Serves rooms on `Bun.serve`: pass `fetch` and `websocket` to it, or mount
 * `app` in your own Hono app and pass that app's `fetch`.
 *
 * @example
 * const rooms = bunRooms({ rooms: { chat }, dataDir: "./.data" });
 * Bun.serve({ port: 8787, fetch: rooms.fetch, websocket: rooms.websocket });
 */
export function bunRooms(options: BunRoomsOptions) {
  const store = new SqliteRooms(options.dataDir);
  const live = new Map<string, LiveRoom>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let server: Server<SocketData> | undefined;

  const definitionOf = (address: RoomAddress) => options.rooms[address.type] as RoomDefinition;

  function room(key: string, address: RoomAddress): LiveRoom {
    let found = live.get(key);
    if (found) return found;
    const sockets = new Set<Socket>();
    const engine = new RoomEngine<Socket>(definitionOf(address), address, {
      storage: store.storage(key),
      alarm: {
        set: async (at) => (store.setAlarm(key, at), arm(key, at)),
        get: async () => store.getAlarm(key),
        delete: async () => (store.deleteAlarm(key), clearTimeout(timers.get(key)), void timers.delete(key)),
      },
      sockets: {
        sockets: (tag) => (tag === undefined ? sockets : [...sockets].filter((ws) => ws.data.attachment.tags?.includes(tag))),
        send: (ws, frame) => status(ws.send(frame)),
        close: (ws, code, reason) => ws.close(code, reason),
        attachment: (ws) => ws.data.attachment,
        setAttachment: (ws, attachment) => void (ws.data.attachment = attachment),
        // Every socket of the room subscribes to its key, so Bun's publish reaches exactly the room.
        publish(frame, except) {
          if (except) except.publish(key, frame);
          else if (server) server.publish(key, frame);
          else return false;
          return true;
        },
      },
    });
    found = { engine, sockets };
    live.set(key, found);
    return found;
  }

  /** Forgets a room's engine once it has no sockets and nothing queued; its state is in SQLite. */
  async function release(key: string): Promise<void> {
    const found = live.get(key);
    if (!found) return;
    await found.engine.idle();
    if (found.sockets.size === 0 && live.get(key) === found) live.delete(key);
  }

  function arm(key: string, at: number): void {
    clearTimeout(timers.get(key));
    // setTimeout holds at most ~24.8 days; longer alarms re-arm on the way.
    const delay = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    timers.set(key, setTimeout(() => void ring(key, at), delay));
  }

  async function ring(key: string, at: number): Promise<void> {
    timers.delete(key);
    if (Date.now() < at) return arm(key, at);
    const slash = key.indexOf("/");
    const address = { type: key.slice(0, slash), name: key.slice(slash + 1) };
    store.deleteAlarm(key);
    if (!Object.hasOwn(options.rooms, address.type)) return;
    await room(key, address).engine.alarm();
    await release(key);
  }

  for (const { room: key, at } of store.alarms()) arm(key, at);

  const app = roomRoutes(options, {
    accept(c: Context, { address, attachment }: AcceptedUpgrade) {
      server = c.env as Server<SocketData>;
      const key = `${address.type}/${address.name}`;
      if (!server?.upgrade(c.req.raw, { data: { key, address, attachment } })) {
        return new Response("WebSocket upgrade failed: expected a valid WebSocket handshake.", { status: 400 });
      }
      // Bun has already answered 101; this value is ignored.
      return new Response(null);
    },
    async http(c: Context, address: RoomAddress) {
      const key = `${address.type}/${address.name}`;
      const response = await room(key, address).engine.http(c.req.raw);
      void release(key);
      return response;
    },
  });

  const websocket: WebSocketHandler<SocketData> = {
    idleTimeout: options.idleTimeout ?? 120,
    maxPayloadLength: Math.max(...Object.values(options.rooms).map((definition) => resolveLimits(definition.limits).maxMessageBytes)),
    open(ws) {
      const { engine, sockets } = room(ws.data.key, ws.data.address);
      sockets.add(ws);
      ws.subscribe(ws.data.key);
      engine.open(ws);
    },
    message(ws, message) {
      const found = live.get(ws.data.key);
      found?.engine.message(ws, typeof message === "string" ? message : new Uint8Array(message.buffer, message.byteOffset, message.byteLength));
    },
    close(ws, code, reason) {
      const found = live.get(ws.data.key);
      if (!found) return;
      found.sockets.delete(ws);
      found.engine.close(ws, code, reason);
      void release(ws.data.key);
    },
  };

  return {
    /** The room routes, to mount in your own Hono app. */
    app: app as Hono<any>,
    /** `fetch` for `Bun.serve` when roomwire is the whole app. */
    fetch: (request: Request, bunServer: Server<SocketData>) => app.fetch(request, bunServer),
    websocket,
    /** Closes every connection with 1001 (going away), stops alarm timers and closes the database. */
    close() {
      for (const { sockets } of live.values()) for (const ws of sockets) ws.close(1001, "server going away");
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      store.close();
    },
  };
}

function status(result: number): SendStatus {
  return result > 0 ? "sent" : result === -1 ? "buffered" : "dropped";
}
