// The persisted scenario on workerd: the stored room (shared/stored-room.ts) on cloudflareRooms, one Durable
// Object per room, its storage the object's own (SQLite-backed, on disk in DATA_DIR: see ../workerd.mjs).
// The bundler defines BENCH_VARIANT ("persisted-roomwire": resume off, "persisted-roomwire-resume": resume on).
import { Hono } from "hono";
import { cloudflareRooms } from "../../../adapters/cloudflare/index.ts";
import { storedRoomOf } from "../../shared/stored-room.ts";

declare const BENCH_VARIANT: string;

const rooms = cloudflareRooms({ rooms: { bench: storedRoomOf(BENCH_VARIANT.replace(/^persisted-/, "")) } });
const app = new Hono();
app.get("/health", (c) => c.text("ok"));
app.route("/", rooms.app);

export const RoomObject = rooms.RoomObject;
export default { fetch: app.fetch };
