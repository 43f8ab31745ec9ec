// One server of the persisted scenario on Deno:
// `PORT=… DATA_DIR=… deno run -A --unstable-kv bench/servers/deno-persisted.ts <variant>`.
//   hand             Deno.serve + Deno.upgradeWebSocket + Deno KV: per message, read n, then one kv.atomic() commit
//                    (n and the entry); broadcast by a loop over the room's sockets
//   roomwire         the stored room (shared/stored-room.ts) on denoRooms, its Deno KV storage in DATA_DIR
//   roomwire-resume  the same room with resume: true
import { Hono } from "hono";
import { denoRooms } from "../../adapters/deno/index.ts";
import { storedRoomOf } from "../shared/stored-room.ts";

const variant = Deno.args[0] ?? "hand";
const hostname = "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8787);
const dataDir = Deno.env.get("DATA_DIR");
if (!dataDir) throw new Error("DATA_DIR is required: the directory of the server's database");
/** The idle timeout of every Deno bench server (bench/servers/deno.ts). */
const IDLE_TIMEOUT = 120;

const health = () => new Response("ok");

async function serveHand(): Promise<void> {
  const kv = await Deno.openKv(`${dataDir}/hand.kv`);
  interface Room {
    sockets: Set<WebSocket>;
    /** The room's messages run one after another, in arrival order, so a read of n and its commit never interleave with another's. */
    tail: Promise<void>;
  }
  const rooms = new Map<string, Room>();

  async function say(path: string, room: Room, from: string, text: string): Promise<void> {
    const current = await kv.get<number>([path, "n"]);
    const n = current.value ?? 0;
    const result = await kv
      .atomic()
      .check(current)
      .set([path, "n"], n + 1)
      .set([path, "e:" + String(n).padStart(10, "0")], { from, text, at: Date.now() })
      .commit();
    if (!result.ok) throw new Error(`${path}: n changed under the commit`);
    const frame = JSON.stringify({ type: "said", data: { from, text } });
    for (const socket of room.sockets) socket.send(frame);
  }

  Deno.serve({ hostname, port, onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/health") return health();
    const path = url.pathname;
    const from = url.searchParams.get("u") ?? "anon";
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: IDLE_TIMEOUT });
    let room = rooms.get(path);
    if (!room) rooms.set(path, (room = { sockets: new Set(), tail: Promise.resolve() }));
    const joined = room;
    socket.onopen = () => joined.sockets.add(socket);
    socket.onmessage = (event) => {
      if (event.data === "ping") return socket.send("pong");
      let parsed: { type?: unknown; data?: { text?: unknown } };
      try {
        parsed = JSON.parse(event.data as string);
      } catch {
        return;
      }
      const text = parsed?.data?.text;
      if (parsed?.type !== "say" || typeof text !== "string") return;
      joined.tail = joined.tail.then(() => say(path, joined, from, text)).catch((error) => console.error(error));
    };
    socket.onclose = () => {
      joined.sockets.delete(socket);
      if (joined.sockets.size === 0 && rooms.get(path) === joined) rooms.delete(path);
    };
    return response;
  });
}

function serveRoomwire(): void {
  const rooms = denoRooms({ rooms: { bench: storedRoomOf(variant) }, dataDir, idleTimeout: IDLE_TIMEOUT });
  const app = new Hono();
  app.get("/health", health);
  app.route("/", rooms.app);
  Deno.serve({ hostname, port, onListen() {} }, app.fetch);
}

if (variant === "hand") await serveHand();
else serveRoomwire();
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
console.log(`persisted bench server ${variant} on deno listening on ${port}`);
