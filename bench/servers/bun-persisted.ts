// One server of the persisted scenario on Bun: `PORT=… DATA_DIR=… bun bench/servers/bun-persisted.ts <variant>`.
//   hand             Bun.serve WebSockets + bun:sqlite in WAL mode, one statement per read or write, then server.publish
//   roomwire         the stored room (shared/stored-room.ts) on bunRooms, its SQLite storage in DATA_DIR
//   roomwire-resume  the same room with resume: true
import type { Server } from "bun";
import { Database } from "bun:sqlite";
import { Hono } from "hono";
import { bunRooms } from "../../adapters/bun/index.ts";
import { storedRoomOf } from "../shared/stored-room.ts";

const variant = process.argv[2] ?? "hand";
const hostname = "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const dataDir = process.env.DATA_DIR;
if (!dataDir) throw new Error("DATA_DIR is required: the directory of the server's database");

/** The socket settings of every Bun bench server (bench/servers/bun.ts). */
const SETTINGS = {
  perMessageDeflate: false,
  backpressureLimit: 16 * 1024 * 1024,
  closeOnBackpressureLimit: false,
  idleTimeout: 120,
  maxPayloadLength: 1024 * 1024,
} as const;

const health = () => new Response("ok");

function serveHand(): void {
  interface Data {
    room: string;
    from: string;
  }
  const db = new Database(`${dataDir}/hand.sqlite`, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("CREATE TABLE IF NOT EXISTS kv (room TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (room, key)) WITHOUT ROWID");
  const read = db.query<{ value: string }, [string, string]>("SELECT value FROM kv WHERE room = ? AND key = ?");
  const write = db.query<unknown, [string, string, string]>("INSERT OR REPLACE INTO kv (room, key, value) VALUES (?, ?, ?)");
  let server: Server<Data>;
  server = Bun.serve<Data>({
    hostname,
    port,
    fetch(request, server) {
      const url = new URL(request.url);
      if (url.pathname === "/health") return health();
      if (server.upgrade(request, { data: { room: url.pathname, from: url.searchParams.get("u") ?? "anon" } })) return undefined;
      return new Response("expected a WebSocket upgrade", { status: 426 });
    },
    websocket: {
      ...SETTINGS,
      open: (ws) => void ws.subscribe(ws.data.room),
      message(ws, message) {
        if (message === "ping") return void ws.send("pong");
        let parsed: { type?: unknown; data?: { text?: unknown } };
        try {
          parsed = JSON.parse(message as string);
        } catch {
          return;
        }
        const text = parsed?.data?.text;
        if (parsed?.type !== "say" || typeof text !== "string") return;
        const { room, from } = ws.data;
        const row = read.get(room, "n");
        const n = row ? (JSON.parse(row.value) as number) : 0;
        write.run(room, "n", JSON.stringify(n + 1));
        write.run(room, "e:" + String(n).padStart(10, "0"), JSON.stringify({ from, text, at: Date.now() }));
        server.publish(room, JSON.stringify({ type: "said", data: { from, text } }));
      },
    },
  });
}

function serveRoomwire(): void {
  const rooms = bunRooms({ rooms: { bench: storedRoomOf(variant) }, dataDir });
  const app = new Hono<any>();
  app.get("/health", health);
  app.route("/", rooms.app);
  Bun.serve({ hostname, port, fetch: (request, server) => app.fetch(request, server), websocket: { ...rooms.websocket, ...SETTINGS } });
}

if (variant === "hand") serveHand();
else serveRoomwire();
process.on("SIGTERM", () => process.exit(0));
console.log(`persisted bench server ${variant} on bun listening on ${port}`);
