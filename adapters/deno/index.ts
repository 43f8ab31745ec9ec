import type { Hono } from "hono";
import { processRooms, memoryStore, type ClusterOption, type Attachment, type ConnectionCapOptions, type ConnectionCount, type LocalStore, type RoomsOptions, type SendStatus } from "../../src/index.ts";
import type { AnyRoomDefinition, RoomHandles } from "../../src/index.ts";
import { CloseSoon } from "./close-soon.ts";
import { KvRooms } from "./kv-storage.ts";
import { denoOpenFileLimit } from "./open-files.ts";

export { serve, type RoomServer, type ServeOptions } from "./serve.ts";
export { denoKvCluster, type DenoKvClusterOptions } from "./kv-cluster.ts";

/** Options of `denoRooms`. */
export interface DenoRoomsOptions extends RoomsOptions, ConnectionCapOptions, ClusterOption {
  /**
   * Directory for `rooms.kv` (room storage and alarms, in Deno KV). Without it
   * and without `kv`, storage and alarms live in memory, gone at exit, and
   * Deno KV is not needed (no `--unstable-kv`).
   */
  dataDir?: string;
  /** A Deno KV database to use instead of `dataDir`, e.g. `Deno.openKv()` on Deno Deploy. roomwire does not close it. */
  kv?: Deno.Kv | Promise<Deno.Kv>;
  /**
   * Seconds a connection may stay silent (Deno pings it for you) before it is
   * dropped. Default 120. It also bounds how long a socket may hold a frame it
   * has not finished sending: Deno buffers such a frame (up to its own 64 MiB
   * ceiling) before roomwire sees its size.
   */
  idleTimeout?: number;
}

/** The rooms a `denoRooms` serves: a `Deno.serve` handler, the Hono routes, and a graceful `close`. */
export interface DenoRooms<R extends Record<string, AnyRoomDefinition> = Record<string, AnyRoomDefinition>> extends RoomHandles<R> {
  /** The room routes, to mount in your own Hono app. */
  app: Hono;
  /** The handler for `serve` (or `Deno.serve`) when roomwire is the whole app. */
  fetch(request: Request): Response | Promise<Response>;
  /** Connections this process holds (open, or being upgraded) and its `maxProcessConnections`. */
  connections(): ConnectionCount;
  /** Closes every connection with 1001 (going away), waits for the rooms' handlers, stops alarms and closes the database. */
  close(): Promise<void>;
}

/**
 * A socket whose unsent bytes exceed this is slow: `send` reports "buffered".
 * Deno counts every frame in `bufferedAmount` until its write completes, so
 * any non-zero amount would call every back-to-back frame buffered.
 */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * Serves rooms on `Deno.serve` with `Deno.upgradeWebSocket`; room storage and
 * alarms live in Deno KV (`dataDir` or `kv`), or in memory without either.
 *
 * @example
 * const rooms = denoRooms({ rooms: { chat }, dataDir: "./.data" });
 * Deno.serve({ port: 8787 }, rooms.fetch);
 * // In memory, no Deno KV needed: denoRooms({ rooms: { chat } })
 */
export function denoRooms<const R extends Record<string, AnyRoomDefinition>>(options: DenoRoomsOptions & { rooms: R }): DenoRooms<R> {
  const kv = options.cluster || (options.dataDir === undefined && options.kv === undefined) ? undefined : new KvRooms(options);
  const store: LocalStore = kv ?? memoryStore();
  const attachments = new WeakMap<WebSocket, Attachment>();
  const closing = new CloseSoon();
  const rooms = processRooms<WebSocket>(options.rooms, () => store, {
    // After a close, nothing more is sent (the close itself waits for the peer's buffered frames).
    send: (ws, frame) => (closing.has(ws) ? "dropped" : send(ws, frame)),
    close: (ws, code, reason) => closing.close(ws, code, reason),
    attachment: (ws) => attachments.get(ws)!,
    setAttachment: (ws, attachment) => void attachments.set(ws, attachment),
    buffered: (ws) => ws.bufferedAmount,
  }, options.fallback, options.cluster);

  const app = rooms.routes(options, {
    accept(c, { address, attachment }) {
      let upgraded: { socket: WebSocket; response: Response };
      try {
        upgraded = Deno.upgradeWebSocket(c.req.raw, { idleTimeout: options.idleTimeout ?? 120 });
      } catch {
        return new Response("WebSocket upgrade failed: expected a valid WebSocket handshake.", { status: 400 });
      }
      const ws = upgraded.socket;
      ws.binaryType = "arraybuffer";
      attachments.set(ws, attachment);
      ws.onopen = () => rooms.open(address, ws);
      ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
        closing.frameArrived(ws);
        rooms.message(address, ws, typeof event.data === "string" ? event.data : new Uint8Array(event.data));
      };
      // A dropped link reaches Deno's CloseEvent as code 0; roomwire reports it as 1006.
      ws.onclose = (event: CloseEvent) => rooms.closed(address, ws, event.code === 0 ? 1006 : event.code, event.reason);
      return upgraded.response;
    },
    http: (c, address) => rooms.http(address, c.req.raw),
    // The peer's address (Deno.serve's handler info), for the per-client bound on fallback sessions.
    client: (c) => ((c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname),
  }, denoOpenFileLimit());

  return {
    app,
    fetch: (request) => app.fetch(request),
    room: (type, name) => rooms.handle(type, name) as never,
    connections: () => rooms.connections(),
    async close() {
      await rooms.close();
      await kv?.close();
    },
  };
}

function send(ws: WebSocket, frame: string | Uint8Array): SendStatus {
  if (ws.readyState !== WebSocket.OPEN) return "dropped";
  const queued = ws.bufferedAmount;
  try {
    // The core never hands over a view of a SharedArrayBuffer.
    ws.send(frame as string | Uint8Array<ArrayBuffer>);
  } catch {
    return "dropped";
  }
  return queued > HIGH_WATER_BYTES ? "buffered" : "sent";
}
