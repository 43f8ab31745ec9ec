import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket, type RawData } from "ws";
import {
  processRooms,
  type ClusterOption,
  memoryStore,
  resolveLimits,
  roomKey,
  type Attachment,
  type ConnectionCapOptions,
  type ConnectionCount,
  type LocalStore,
  type RoomAddress,
  type RoomsOptions,
  type SendStatus,
} from "../../src/index.ts";
import type { AnyRoomDefinition, RoomHandles } from "../../src/index.ts";
import { procOpenFileLimit } from "../shared/open-files.ts";
import { nodeSqliteStore } from "./sqlite.ts";

/** Options of `nodeRooms`. */
export interface NodeRoomsOptions extends RoomsOptions, ConnectionCapOptions, ClusterOption {
  /** Directory for `rooms.sqlite` (room storage and alarms). Without it, storage and alarms live in memory, gone at exit. */
  dataDir?: string;
  /** Seconds a connection may stay silent before it is dropped; the server pings it meanwhile. Default 120. */
  idleTimeout?: number;
}

/** What the adapter keeps on each socket. */
interface Socket extends WebSocket {
  roomwire: { address: RoomAddress; attachment: Attachment; heardAt: number };
}

/** Where `serve` listens, and what answers plain HTTP (default: the room routes alone). */
export interface NodeServeOptions {
  port?: number;
  hostname?: string;
  /** Your Hono app's `fetch`, with `app` (the rooms) mounted in it, at any path; it answers plain HTTP and WebSocket upgrades. */
  fetch?: NodeFetch;
}

/** A Hono app's `fetch`: the upgrade listener passes the handshake to the rooms as the app's `env`. */
export type NodeFetch = (request: Request, env?: any) => Response | Promise<Response>;

/** What `nodeRooms` returns. */
export interface NodeRooms<R extends Record<string, AnyRoomDefinition> = Record<string, AnyRoomDefinition>> extends RoomHandles<R> {
  /** The room routes, to mount in your own Hono app. */
  app: Hono<any>;
  /** Starts a `node:http` server for plain HTTP and the rooms' WebSocket upgrades; resolves once it listens. */
  serve(options?: NodeServeOptions): Promise<Server>;
  /**
   * An `upgrade` listener for a `node:http` server of your own, routing
   * through `fetch` (default: the room routes alone), as `serve` does.
   *
   * @example
   * server.on("upgrade", rooms.upgrades(app.fetch));
   */
  upgrades(fetch?: NodeFetch): (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Connections this process holds (open, or being upgraded) and its `maxProcessConnections`. */
  connections(): ConnectionCount;
  /** Closes every connection with 1001 (going away), waits for the rooms' handlers, stops alarms and closes the database. */
  close(): Promise<void>;
}

/** What the room routes hand the upgrade listener: the handshake to complete. */
interface Handshake {
  incoming: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

/**
 * Serves rooms on Node (20 and later), with `ws` for WebSockets and
 * `@hono/node-server` for plain HTTP.
 *
 * @example
 * const rooms = nodeRooms({ rooms: { chat }, dataDir: "./.data" });
 * const server = await rooms.serve({ port: 8787 });
 */
export function nodeRooms<const R extends Record<string, AnyRoomDefinition>>(options: NodeRoomsOptions & { rooms: R }): NodeRooms<R> {
  const store: LocalStore & { close?(): void } = options.dataDir && !options.cluster ? nodeSqliteStore(options.dataDir) : memoryStore();
  const idleMs = (options.idleTimeout ?? 120) * 1000;
  const rooms = processRooms<Socket>(options.rooms, () => store, {
    send: (ws, frame) => {
      if (ws.readyState !== WebSocket.OPEN) return "dropped";
      ws.send(frame);
      return status(ws);
    },
    close: (ws, code, reason) => ws.close(code, reason),
    attachment: (ws) => ws.roomwire.attachment,
    setAttachment: (ws, attachment) => void (ws.roomwire.attachment = attachment),
    buffered: (ws) => ws.bufferedAmount,
    // A broadcast is encoded once for the whole room, not once per socket.
    publish(key, frame, except) {
      const data = Buffer.from(frame);
      let backedUp = false;
      for (const ws of members.get(key) ?? []) {
        if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
        ws.send(data, { binary: false });
        backedUp ||= ws.bufferedAmount > 0;
      }
      return backedUp ? "buffered" : "sent";
    },
  }, options.fallback, options.cluster);
  /** The open sockets of each room, by room key. */
  const members = new Map<string, Set<Socket>>();
  const wss = new WebSocketServer({
    noServer: true,
    // ws closes a larger frame with 1009 from its header, before reading it.
    maxPayload: Math.max(...Object.values(options.rooms).map((definition) => resolveLimits(definition.limits).maxMessageBytes)),
    perMessageDeflate: false,
  });

  const app = rooms.routes(options, {
    accept(c, { address, attachment }) {
      const handshake = c.env as Handshake | undefined;
      if (!handshake?.incoming || !handshake.socket) return new Response("WebSocket upgrades reach roomwire on Node through its upgrade listener (rooms.serve or rooms.upgrades).", { status: 500 });
      wss.handleUpgrade(handshake.incoming, handshake.socket, handshake.head, (ws) => {
        const socket = ws as Socket;
        socket.roomwire = { address, attachment, heardAt: Date.now() };
        open(socket);
      });
      // ws has answered 101 itself; this value is not sent.
      return new Response(null, { status: 101 });
    },
    http: (c, address) => rooms.http(address, c.req.raw),
    // The peer's address (@hono/node-server's env), for the per-client bound on fallback sessions.
    client: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress,
  }, procOpenFileLimit());

  function open(ws: Socket): void {
    const { address } = ws.roomwire;
    const key = roomKey(address);
    let room = members.get(key);
    if (!room) members.set(key, (room = new Set()));
    room.add(ws);
    ws.on("message", (data: RawData, isBinary: boolean) => {
      ws.roomwire.heardAt = Date.now();
      rooms.message(address, ws, isBinary ? bytes(data) : data.toString());
    });
    ws.on("pong", () => void (ws.roomwire.heardAt = Date.now()));
    ws.on("close", (code: number, reason: Buffer) => {
      room.delete(ws);
      if (room.size === 0 && members.get(key) === room) members.delete(key);
      rooms.closed(address, ws, code, reason.toString());
    });
    ws.on("error", () => {
      // A protocol error closes the socket; its close event reports it.
    });
    rooms.open(address, ws);
  }

  // Protocol pings keep intermediaries from timing out a quiet link; a socket silent past the idle timeout is dropped (1006).
  const pinger = setInterval(() => {
    const now = Date.now();
    for (const client of wss.clients) {
      const ws = client as Socket;
      if (now - ws.roomwire.heardAt > idleMs) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }, Math.min(idleMs / 2, 30_000));
  pinger.unref();

  const upgrades = (fetch: NodeFetch = app.fetch) => (incoming: IncomingMessage, socket: Duplex, head: Buffer) => {
    Promise.resolve(fetch(toRequest(incoming), { incoming, socket, head } satisfies Handshake)).then(
      (response) => {
        if (response.status !== 101) refuse(socket, response);
      },
      (error) => {
        console.error("roomwire: an upgrade failed", error);
        refuse(socket, new Response("internal error", { status: 500 }));
      },
    );
  };

  const servers: Server[] = [];
  return {
    app,
    upgrades,
    serve({ port = 8787, hostname, fetch = app.fetch } = {}) {
      const server = createServer(getRequestListener(fetch));
      server.on("upgrade", upgrades(fetch));
      servers.push(server);
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, hostname, () => resolve(server));
      });
    },
    room: (type, name) => rooms.handle(type, name) as never,
    connections: () => rooms.connections(),
    async close() {
      clearInterval(pinger);
      await rooms.close();
      for (const server of servers) server.close();
      store.close?.();
    },
  };
}

function status(ws: WebSocket): SendStatus {
  return ws.bufferedAmount > 0 ? "buffered" : "sent";
}

function bytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The upgrade request as a web `Request`, for the room routes. */
function toRequest(incoming: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const host = incoming.headers.host ?? "localhost";
  return new Request(new URL(incoming.url ?? "/", `http://${host}`), { method: incoming.method, headers });
}

/** Answers a refused upgrade with the routes' response, then ends the connection. */
function refuse(socket: Duplex, response: Response): void {
  void response.text().then((body) => {
    const lines = [`HTTP/1.1 ${response.status} ${response.statusText || "Refused"}`];
    response.headers.forEach((value, name) => {
      if (name !== "content-length" && name !== "connection") lines.push(`${name}: ${value}`);
    });
    lines.push(`content-length: ${Buffer.byteLength(body)}`, "connection: close", "", body);
    socket.end(lines.join("\r\n"));
  });
}
