// roomwire on workerd: cloudflareRooms, one Durable Object per room on the hibernation API.
// The bundler defines BENCH_VARIANT ("roomwire": typed events, "roomwire-raw": v.unknown() schemas).
import { Hono } from "hono";
import { cloudflareRooms } from "../../../adapters/cloudflare/index.ts";
import { benchRoom } from "../../shared/rooms.ts";

declare const BENCH_VARIANT: string;

const rooms = cloudflareRooms({ rooms: { bench: benchRoom(BENCH_VARIANT) } });
const app = new Hono();
app.get("/health", (c) => c.text("ok"));
app.route("/", rooms.app);

export const RoomObject = rooms.RoomObject;
export default { fetch: app.fetch };
