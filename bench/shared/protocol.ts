/**
 * The bench protocol, written by hand for the servers without one (raw,
 * crossws, Hono). Same frames, byte for byte, as roomwire's rooms in rooms.ts:
 *   ping                              → pong
 *   {"type":"say","data":{"text":…}}  → {"type":"said","data":{"from":…,"text":…}} to everyone in the room, sender included
 *   {"type":"echo","id":…}            → {"type":"reply","id":…,"data":null}
 */

/** How a server sends: to one peer, and to the peer's whole room. Made once per server, so handling a frame allocates nothing of its own. */
export interface Out<P> {
  send(peer: P, frame: string): void;
  broadcast(peer: P, frame: string): void;
}

export function handle<P>(text: string, from: string, peer: P, out: Out<P>): void {
  if (text === "ping") return out.send(peer, "pong");
  let message: { type?: unknown; id?: unknown; data?: { text?: unknown } };
  try {
    message = JSON.parse(text);
  } catch {
    return;
  }
  if (message.type === "say") out.broadcast(peer, JSON.stringify({ type: "said", data: { from, text: message.data?.text } }));
  else if (message.type === "echo") out.send(peer, JSON.stringify({ type: "reply", id: message.id, data: null }));
}

/** The connection's name, from `?u=`. */
export function userOf(url: string): string {
  return new URL(url).searchParams.get("u") ?? "anon";
}

/** The room of a connection: its path (`/rooms/bench/<name>` on every server). */
export function roomOf(url: string): string {
  return new URL(url).pathname;
}

/** The variants each runtime serves, in table order; `raw` is the reference of the ratios. */
export const VARIANTS = ["raw", "crossws", "hono", "roomwire", "roomwire-raw"] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * The servers of the persisted scenario, in table order: `hand` — written by hand on the runtime's own
 * WebSocket server and storage (none on workerd); `roomwire` and `roomwire-resume` — shared/stored-room.ts,
 * resume off and on. `hand` is the reference of the ratios (on workerd: `roomwire`).
 */
export const PERSISTED_VARIANTS = ["hand", "roomwire", "roomwire-resume"] as const;
export type PersistedVariant = (typeof PERSISTED_VARIANTS)[number];
