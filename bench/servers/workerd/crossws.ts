// crossws on workerd: its Cloudflare adapter, one Durable Object per room (crossws uses the hibernation API), pub/sub for the broadcast.
import crossws from "crossws/adapters/cloudflare";
import { DurableObject } from "cloudflare:workers";
import { crosswsHooks } from "../../shared/crossws-hooks.ts";

interface Env {
  ROOMS: DurableObjectNamespace;
}
const ws = crossws({
  resolveDurableStub: (request, env) => {
    const rooms = (env as Env).ROOMS;
    return rooms.get(rooms.idFromName(new URL(request!.url).pathname)) as never;
  },
  hooks: crosswsHooks,
});

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    if (request.headers.get("upgrade") !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    return ws.handleUpgrade(request as never, env, ctx as never) as Promise<Response>;
  },
};

export class RoomObject extends DurableObject {
  override fetch(request: Request): Promise<Response> {
    return ws.handleDurableUpgrade(this as never, request as never);
  }
  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return ws.handleDurableMessage(this as never, socket as never, message);
  }
  override webSocketClose(socket: WebSocket, code: number, reason: string, wasClean: boolean): Promise<void> {
    return ws.handleDurableClose(this as never, socket as never, code, reason, wasClean);
  }
}
