// One bench server on Node: `PORT=… node --import tsx --expose-gc bench/servers/node.ts <variant>` (variants: shared/protocol.ts).
import { serve, upgradeWebSocket } from "@hono/node-server";
import crossws from "crossws/adapters/node";
import { Hono } from "hono";
import type { WSContext } from "hono/ws";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { nodeRooms } from "../../adapters/node/index.ts";
import { crosswsHooks } from "../shared/crossws-hooks.ts";
import { benchRoom } from "../shared/rooms.ts";
import { handle, roomOf, userOf, type Out } from "../shared/protocol.ts";
import { roomsOf } from "../shared/rooms-of.ts";

const variant = process.argv[2] ?? "raw";
const hostname = "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);

/**
 * The same socket settings for every variant, as far as each lets them be set: `ws` underneath all of them,
 * no compression, frames up to 1 MiB (roomwire: its rooms' maxMessageBytes), an idle timeout of 120 s
 * where the server has one (crossws, roomwire; raw `ws` and Hono's helper keep idle sockets for good).
 */
const SOCKETS = { perMessageDeflate: false, maxPayload: 1024 * 1024 } as const;
const IDLE_TIMEOUT = 120;

const health = () => new Response("ok");
/** GET /__gc: a full collection (node runs with --expose-gc), so the memory bench reads RSS without garbage; answers the memory usage after it. */
const gc = () => {
  (globalThis as unknown as { gc(): void }).gc();
  return Response.json(process.memoryUsage());
};

/** The two plain HTTP routes every variant answers, for the servers without a fetch-style app. */
function answer(request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  if (path === "/health") return void response.end("ok");
  if (path === "/__gc") {
    (globalThis as unknown as { gc(): void }).gc();
    response.setHeader("content-type", "application/json");
    return void response.end(JSON.stringify(process.memoryUsage()));
  }
  response.statusCode = 426;
  response.end("expected a WebSocket upgrade");
}


/** `ws` by hand: a WebSocketServer on node:http's upgrade event, broadcast by a loop over the room's sockets. */
function serveRaw(): void {
  interface Peer {
    ws: WebSocket;
    from: string;
    room: Set<Peer>;
  }
  const rooms = roomsOf<Peer>();
  const out: Out<Peer> = {
    send: (peer, frame) => peer.ws.send(frame),
    broadcast(peer, frame) {
      for (const other of peer.room) other.ws.send(frame);
    },
  };
  const wss = new WebSocketServer({ noServer: true, ...SOCKETS });
  const server = createServer(answer);
  server.on("upgrade", (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      const url = `http://localhost${request.url}`;
      const room = roomOf(url);
      const peer = { ws, from: userOf(url) } as Peer;
      peer.room = rooms.join(room, peer);
      ws.on("message", (data, binary) => {
        if (!binary) handle(data.toString(), peer.from, peer, out);
      });
      ws.on("close", () => rooms.leave(room, peer));
    });
  });
  server.listen(port, hostname);
}

/** crossws's Node adapter on node:http's upgrade event, broadcast by `peer.send` + `peer.publish`. */
function serveCrossws(): void {
  const ws = crossws({ hooks: crosswsHooks, idleTimeout: IDLE_TIMEOUT, serverOptions: SOCKETS });
  const server = createServer(answer);
  server.on("upgrade", (request, socket, head) => void ws.handleUpgrade(request, socket, head));
  server.listen(port, hostname);
}

/** Hono's `upgradeWebSocket` from @hono/node-server, on a `ws` WebSocketServer it is handed, rooms as a `Set` (as on Deno). */
function serveHono(): void {
  const rooms = roomsOf<WSContext>();
  const app = new Hono();
  app.get("/health", health);
  app.get("/__gc", gc);
  app.get(
    "/rooms/*",
    upgradeWebSocket((c) => {
      const room = c.req.path;
      const from = c.req.query("u") ?? "anon";
      let peers: Set<WSContext> | undefined;
      const out: Out<WSContext> = {
        send: (ws, frame) => ws.send(frame),
        broadcast(_ws, frame) {
          for (const peer of peers!) peer.send(frame);
        },
      };
      return {
        onOpen: (_event, ws) => void (peers = rooms.join(room, ws)),
        onMessage: (event, ws) => handle(event.data as string, from, ws, out),
        onClose: (_event, ws) => rooms.leave(room, ws),
      };
    }),
  );
  serve({ fetch: app.fetch, port, hostname, websocket: { server: new WebSocketServer({ noServer: true, ...SOCKETS }) } });
}

async function serveRoomwire(): Promise<void> {
  const rooms = nodeRooms({ rooms: { bench: benchRoom(variant) }, idleTimeout: IDLE_TIMEOUT });
  const app = new Hono();
  app.get("/health", health);
  app.get("/__gc", gc);
  app.route("/", rooms.app);
  await rooms.serve({ hostname, port, fetch: app.fetch });
}

if (variant === "raw") serveRaw();
else if (variant === "crossws") serveCrossws();
else if (variant === "hono") serveHono();
else await serveRoomwire();
process.on("SIGTERM", () => process.exit(0));
console.log(`bench server ${variant} on node listening on ${port}`);
