// The bench protocol as crossws hooks, shared by its Bun, Deno and workerd servers.
import type { Hooks, Peer } from "crossws";
import { handle, roomOf, userOf, type Out } from "./protocol.ts";

interface Context {
  room: string;
  from: string;
}

/** What the peer was opened with; read from its request on first use (so also after a hibernation). */
function context(peer: Peer): Context {
  const context = peer.context as unknown as Partial<Context>;
  if (context.room === undefined) {
    context.room = roomOf(peer.request.url);
    context.from = userOf(peer.request.url);
  }
  return context as Context;
}

const out: Out<Peer> = {
  send: (peer, frame) => void peer.send(frame),
  broadcast(peer, frame) {
    peer.send(frame);
    peer.publish(context(peer).room, frame);
  },
};

/** Joins the room's topic on open; answers every frame by the bench protocol. */
export const crosswsHooks: Partial<Hooks> = {
  open(peer) {
    peer.subscribe(context(peer).room);
  },
  message(peer, message) {
    handle(message.text(), context(peer).from, peer, out);
  },
};
