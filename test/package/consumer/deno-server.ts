import { Hono } from "hono";
import { denoRooms } from "@roomwire/roomwire/deno";
import { echo } from "./room.ts";

// Memory mode: runs without --unstable-kv.
const rooms = denoRooms({ rooms: { echo } });
const app = new Hono();
app.get("/health", (c) => c.text("ok"));
app.route("/ws", rooms.app);
Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT")) }, app.fetch);
