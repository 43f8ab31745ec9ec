import { Hono } from "hono";
import { bunRooms } from "@roomwire/roomwire/bun";
import { echo } from "./room.ts";

const rooms = bunRooms({ rooms: { echo } });
const app = new Hono();
app.get("/health", (c) => c.text("ok"));
app.route("/ws", rooms.app);
Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT), fetch: app.fetch, websocket: rooms.websocket });
