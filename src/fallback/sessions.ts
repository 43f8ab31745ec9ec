import type { Attachment, SocketPort } from "../ports.ts";
import { StreamSession } from "./stream-session.ts";

/**
 * Bounds on fallback sessions (an event stream plus POSTs, for clients that
 * cannot open a WebSocket), given as the rooms object's `fallback` option.
 *
 * @example
 * const rooms = bunRooms({ rooms: { chat }, fallback: { perRoom: 50, perClient: 4, idleMs: 30_000 } });
 */
export interface FallbackLimits {
  /** Most open fallback sessions per room. Default 100. */
  perRoom?: number;
  /** Most open fallback sessions per client address, where the runtime tells it. Default 10. */
  perClient?: number;
  /** A session whose client has not POSTed (its heartbeat included) for this long is closed with 1001. Default 60,000 ms. */
  idleMs?: number;
}

export const DEFAULT_FALLBACK_LIMITS: Required<FallbackLimits> = { perRoom: 100, perClient: 10, idleMs: 60_000 };

interface Entry {
  session: StreamSession;
  room: string;
  client: string | undefined;
}

/**
 * The fallback sessions of a process (or of one Durable Object): found by
 * id for their POSTs, counted per room and per client, closed when silent
 * past the idle timeout.
 */
export class StreamSessions {
  private readonly byId = new Map<string, Entry>();
  private readonly limits: Required<FallbackLimits>;
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(
    limits: FallbackLimits | undefined,
    /** A session ended, from either side: the room must learn it as a close. */
    private readonly ended: (session: StreamSession, room: string) => void,
    /** Put before every session id (see `StreamSession`). */
    private readonly idPrefix: string = "",
  ) {
    this.limits = { ...DEFAULT_FALLBACK_LIMITS, ...limits };
  }

  /** Opens a session for `room`, or answers 429 when the room or the client has too many. */
  open(room: string, client: string | undefined, attachment: Attachment): StreamSession | Response {
    let inRoom = 0;
    let fromClient = 0;
    for (const entry of this.byId.values()) {
      if (entry.room === room) inRoom++;
      if (client !== undefined && entry.client === client) fromClient++;
    }
    if (inRoom >= this.limits.perRoom) return tooMany(`This room has ${inRoom} fallback (event stream) sessions, its most; use a WebSocket or try again later.`);
    if (fromClient >= this.limits.perClient) return tooMany(`This client has ${fromClient} fallback (event stream) sessions open, its most; close one first.`);
    const session = new StreamSession(attachment, (ended) => {
      if (this.byId.delete(ended.id)) this.ended(ended, room);
      if (this.byId.size === 0) this.stopSweeping();
    }, this.idPrefix);
    this.byId.set(session.id, { session, room, client });
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(1_000, this.limits.idleMs / 4));
    return session;
  }

  /** The open session `id` of `room`, or undefined (unknown, ended, or another room's). */
  find(id: string, room: string): StreamSession | undefined {
    const entry = this.byId.get(id);
    return entry && entry.room === room ? entry.session : undefined;
  }

  /** The open sessions of `room` with `tag` (or all of them). */
  *inRoom(room: string, tag?: string): Iterable<StreamSession> {
    for (const entry of this.byId.values()) {
      if (entry.room === room && (tag === undefined || entry.session.attachment.tags?.includes(tag))) yield entry.session;
    }
  }

  hasRoom(room: string): boolean {
    for (const entry of this.byId.values()) if (entry.room === room) return true;
    return false;
  }

  /** Closes every session (the process is going away). */
  closeAll(code: number, reason: string): void {
    for (const { session } of [...this.byId.values()]) session.close(code, reason);
    this.stopSweeping();
  }

  private sweep(): void {
    const before = Date.now() - this.limits.idleMs;
    for (const { session } of [...this.byId.values()]) if (session.heardAt < before) session.close(1001, "idle timeout");
  }

  private stopSweeping(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

function tooMany(message: string): Response {
  return new Response(message, { status: 429, headers: { "retry-after": "10" } });
}

/**
 * A room's socket port that also serves its fallback sessions: a session is
 * sent to, closed and read through itself, every other socket through
 * `port`. `extra` lists sessions the port does not (on Cloudflare, where
 * the runtime lists only WebSockets). Native fan-out is used only while the
 * room has no session, since it reaches WebSockets alone.
 */
export function withSessions<S>(port: SocketPort<S>, extra?: (tag?: string) => Iterable<StreamSession>, hasSessions?: () => boolean): SocketPort<S | StreamSession> {
  const isSession = (socket: S | StreamSession): socket is StreamSession => socket instanceof StreamSession;
  const publish = port.publish;
  return {
    sockets: extra ? (tag) => concat(port.sockets(tag), extra(tag)) : (tag) => port.sockets(tag),
    send: (socket, frame) => (isSession(socket) ? socket.send(frame) : port.send(socket, frame)),
    close: (socket, code, reason) => (isSession(socket) ? socket.close(code, reason) : port.close(socket, code, reason)),
    attachment: (socket) => (isSession(socket) ? socket.attachment : port.attachment(socket)),
    setAttachment: (socket, attachment) => (isSession(socket) ? void (socket.attachment = attachment) : port.setAttachment(socket, attachment)),
    // Where the runtime cannot tell a WebSocket's queue (workerd), the core estimates every socket's, sessions' too.
    buffered: port.buffered && ((socket) => (isSession(socket) ? socket.buffered() : port.buffered!(socket))),
    publish: publish && ((frame, except) => (hasSessions?.() || (except !== undefined && isSession(except)) ? false : publish(frame, except as S | undefined))),
  };
}

function* concat<T, U>(first: Iterable<T>, second: Iterable<U>): Iterable<T | U> {
  yield* first;
  yield* second;
}
