// Hono on workerd: Hono's upgradeWebSocket (hono/cloudflare-workers) inside one Durable Object per room.
// Hono's helper accepts the socket with the standard API (server.accept(), no hibernation) and has no
// onOpen on this runtime, so a socket joins the room with its first frame (the client's `ping`).
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/cloudflare-workers";
import type { WSContext } from "hono/ws";
import { handle, type Out } from "../../shared/protocol.ts";

interface Env {
  ROOMS: DurableObjectNamespace;
}

const worker = new Hono<{ Bindings: Env }>();
worker.get("/health", (c) => c.text("ok"));
worker.get("/rooms/*", (c) => c.env.ROOMS.get(c.env.ROOMS.idFromName(c.req.path)).fetch(c.req.raw));
export default worker;

export class RoomObject extends DurableObject {
  private readonly peers = new Set<WSContext>();
  private readonly app = new Hono();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const peers = this.peers;
    const out: Out<WSContext> = {
      send: (ws, frame) => ws.send(frame),
      broadcast(_ws, frame) {
        for (const peer of peers) peer.send(frame);
      },
    };
    this.app.get(
      "/rooms/*",
      upgradeWebSocket((c) => {
        const from = c.req.query("u") ?? "anon";
        return {
          onMessage(event, ws) {
            peers.add(ws);
            handle(event.data as string, from, ws, out);
          },
          onClose: (_event, ws) => void peers.delete(ws),
        };
      }),
    );
  }

  override fetch(request: Request): Response | Promise<Response> {
    return this.app.fetch(request);
  }
}
