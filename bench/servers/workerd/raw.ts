// The raw workerd server: a Worker that routes each room to a Durable Object on the hibernation API, no library.
import { DurableObject } from "cloudflare:workers";
import { handle, type Out } from "../../shared/protocol.ts";

interface Env {
  ROOMS: DurableObjectNamespace;
}

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (request.headers.get("upgrade") !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    return env.ROOMS.get(env.ROOMS.idFromName(url.pathname)).fetch(request);
  },
};

export class RoomObject extends DurableObject {
  /** Each socket's name, kept in its attachment (it survives hibernation) and cached here. */
  private readonly names = new WeakMap<WebSocket, string>();
  private readonly out: Out<WebSocket> = {
    send: (ws, frame) => ws.send(frame),
    broadcast: (_ws, frame) => {
      for (const ws of this.ctx.getWebSockets()) ws.send(frame);
    },
  };

  override fetch(request: Request): Response {
    const from = new URL(request.url).searchParams.get("u") ?? "anon";
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(from);
    this.names.set(server, from);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    let from = this.names.get(ws);
    if (from === undefined) this.names.set(ws, (from = ws.deserializeAttachment() as string));
    handle(message as string, from, ws, this.out);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }
}
