// One bench server on Deno: `PORT=… deno run -A bench/servers/deno.ts <variant>` (variants: shared/protocol.ts).
import crossws from "crossws/adapters/deno";
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { WSContext } from "hono/ws";
import { denoRooms } from "../../adapters/deno/index.ts";
import { crosswsHooks } from "../shared/crossws-hooks.ts";
import { benchRoom } from "../shared/rooms.ts";
import { handle, type Out } from "../shared/protocol.ts";
import { roomsOf } from "../shared/rooms-of.ts";

const variant = Deno.args[0] ?? "raw";
const hostname = "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8787);
/** The same settings for every variant: Deno's idle timeout as roomwire sets it; Deno has no WebSocket compression. */
const IDLE_TIMEOUT = 120;

const health = () => new Response("ok");
/** GET /__gc: a full collection (deno runs with --v8-flags=--expose-gc), so the memory bench reads RSS without garbage; answers the memory usage after it. */
const gc = () => {
  (globalThis as unknown as { gc(): void }).gc();
  return Response.json(Deno.memoryUsage());
};


function serveRaw(): Deno.HttpServer {
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
  return Deno.serve({ hostname, port, onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/health") return health();
    if (url.pathname === "/__gc") return gc();
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: IDLE_TIMEOUT });
    const peer = { ws: socket, from: url.searchParams.get("u") ?? "anon" } as Peer;
    socket.onopen = () => (peer.room = rooms.join(url.pathname, peer));
    socket.onmessage = (event) => handle(event.data as string, peer.from, peer, out);
    socket.onclose = () => rooms.leave(url.pathname, peer);
    return response;
  });
}

function serveCrossws(): Deno.HttpServer {
  const ws = crossws({ idleTimeout: IDLE_TIMEOUT, hooks: crosswsHooks });
  return Deno.serve({ hostname, port, onListen() {} }, (request, info) => {
    const path = new URL(request.url).pathname;
    if (path === "/health") return health();
    if (path === "/__gc") return gc();
    return ws.handleUpgrade(request, info);
  });
}

function serveHono(): Deno.HttpServer {
  const rooms = roomsOf<WSContext>();
  const app = new Hono();
  app.get("/health", health);
  app.get("/__gc", gc);
  app.get(
    "/rooms/*",
    upgradeWebSocket(
      (c) => {
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
      },
      { idleTimeout: IDLE_TIMEOUT },
    ),
  );
  return Deno.serve({ hostname, port, onListen() {} }, app.fetch);
}

function serveRoomwire(): Deno.HttpServer {
  const rooms = denoRooms({ rooms: { bench: benchRoom(variant) }, idleTimeout: IDLE_TIMEOUT });
  const app = new Hono();
  app.get("/health", health);
  app.get("/__gc", gc);
  app.route("/", rooms.app);
  return Deno.serve({ hostname, port, onListen() {} }, app.fetch);
}

if (variant === "raw") serveRaw();
else if (variant === "crossws") serveCrossws();
else if (variant === "hono") serveHono();
else serveRoomwire();
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
console.log(`bench server ${variant} on deno listening on ${port}`);
