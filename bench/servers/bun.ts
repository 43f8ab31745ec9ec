// One bench server on Bun: `PORT=… bun bench/servers/bun.ts <variant>` (variants: shared/protocol.ts).
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import crossws from "crossws/adapters/bun";
import { Hono } from "hono";
import { upgradeWebSocket, websocket as honoWebsocket } from "hono/bun";
import { bunRooms } from "../../adapters/bun/index.ts";
import { crosswsHooks } from "../shared/crossws-hooks.ts";
import { benchRoom } from "../shared/rooms.ts";
import { handle, type Out } from "../shared/protocol.ts";

const variant = process.argv[2] ?? "raw";
const hostname = "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);

/** The same socket settings for every variant: no compression, Bun's default backpressure handling, roomwire's limits. */
const SETTINGS = {
  perMessageDeflate: false,
  backpressureLimit: 16 * 1024 * 1024,
  closeOnBackpressureLimit: false,
  idleTimeout: 120,
  maxPayloadLength: 1024 * 1024,
} as const;

const health = () => new Response("ok");
/** GET /__gc: a full collection, so the memory bench reads RSS without garbage (every variant answers it the same way); answers the memory usage after it. */
const gc = () => {
  Bun.gc(true);
  return Response.json(process.memoryUsage());
};

function serveRaw() {
  interface Data {
    room: string;
    from: string;
  }
  let server: Server<Data>;
  const out: Out<ServerWebSocket<Data>> = {
    send: (ws, frame) => void ws.send(frame),
    broadcast: (ws, frame) => void server.publish(ws.data.room, frame),
  };
  server = Bun.serve<Data>({
    hostname,
    port,
    fetch(request, server) {
      const url = new URL(request.url);
      if (url.pathname === "/health") return health();
      if (url.pathname === "/__gc") return gc();
      if (server.upgrade(request, { data: { room: url.pathname, from: url.searchParams.get("u") ?? "anon" } })) return undefined;
      return new Response("expected a WebSocket upgrade", { status: 426 });
    },
    websocket: {
      ...SETTINGS,
      open: (ws) => void ws.subscribe(ws.data.room),
      message: (ws, message) => handle(message as string, ws.data.from, ws, out),
    },
  });
}

function serveCrossws() {
  const ws = crossws({ hooks: crosswsHooks });
  Bun.serve({
    hostname,
    port,
    async fetch(request, server) {
      const path = new URL(request.url).pathname;
      if (path === "/health") return health();
      if (path === "/__gc") return gc();
      return (await ws.handleUpgrade(request, server as never)) ?? new Response(null);
    },
    websocket: { ...ws.websocket, ...SETTINGS } as WebSocketHandler<any>,
  });
}

function serveHono() {
  let server: Server<unknown>;
  const app = new Hono();
  app.get("/health", health);
  app.get("/__gc", gc);
  app.get(
    "/rooms/*",
    upgradeWebSocket((c) => {
      const room = c.req.path;
      const from = c.req.query("u") ?? "anon";
      // Bun's publish, as in Hono's pub/sub example for Bun.
      const out: Out<{ send(frame: string): void }> = {
        send: (ws, frame) => ws.send(frame),
        broadcast: (_ws, frame) => void server.publish(room, frame),
      };
      return {
        onOpen: (_event, ws) => (ws.raw as ServerWebSocket<unknown>).subscribe(room),
        onMessage: (event, ws) => handle(event.data as string, from, ws, out),
      };
    }),
  );
  server = Bun.serve({ hostname, port, fetch: app.fetch, websocket: { ...honoWebsocket, ...SETTINGS } as WebSocketHandler<any> }) as Server<unknown>;
}

function serveRoomwire() {
  const rooms = bunRooms({ rooms: { bench: benchRoom(variant) } });
  const app = new Hono<any>();
  app.get("/health", health);
  app.get("/__gc", gc);
  app.route("/", rooms.app);
  Bun.serve({ hostname, port, fetch: (request, server) => app.fetch(request, server), websocket: { ...rooms.websocket, ...SETTINGS } });
}

if (variant === "raw") serveRaw();
else if (variant === "crossws") serveCrossws();
else if (variant === "hono") serveHono();
else serveRoomwire();
process.on("SIGTERM", () => process.exit(0));
console.log(`bench server ${variant} on bun listening on ${port}`);
