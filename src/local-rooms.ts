import type { Hono } from "hono";
import type { ActionOutcome, ActionRequest } from "./actions.ts";
import { ConnectionCap, type ConnectionCapOptions, type ConnectionCount } from "./connection-cap.ts";
import { RoomEngine } from "./engine.ts";
import { StreamSessions, withSessions, type FallbackLimits } from "./fallback/sessions.ts";
import { postFrames } from "./fallback/post.ts";
import { StreamSession } from "./fallback/stream-session.ts";
import type { RemoteSocket } from "./cluster/remote-socket.ts";
import { roomHandle, type RoomHandle, type RoomReach } from "./handles.ts";
import type { Attachment, SocketPort, StoragePort } from "./ports.ts";
import { resolveLimits } from "./limits.ts";
import { CloseCode } from "./protocol.ts";
import type { RoomHost, RoomsOptions } from "./router.ts";
import type { AnyRoomDefinition, RoomAddress, SendStatus } from "./types.ts";

/** How soon an alarm whose turn was lost to a failed commit rings again. */
const ALARM_RETRY_MS = 1000;

/** Where a long-running process keeps every room's storage and alarm. */
export interface LocalStore {
  storage(room: string): StoragePort;
  setAlarm(room: string, at: number): void | Promise<void>;
  getAlarm(room: string): number | null | Promise<number | null>;
  deleteAlarm(room: string): void | Promise<void>;
  alarms(): { room: string; at: number }[] | Promise<{ room: string; at: number }[]>;
}

/** A runtime's socket, as a long-running process sees it. */
export interface LocalSockets<S> {
  send(socket: S, frame: string | Uint8Array): SendStatus;
  close(socket: S, code?: number, reason?: string): void;
  attachment(socket: S): Attachment;
  setAttachment(socket: S, attachment: Attachment): void;
  /** Bytes queued for `socket` but not yet sent (`bufferedAmount`). */
  buffered?(socket: S): number;
  /** Optional native fan-out to every socket of room `key` but `except`: `"buffered"` when some socket is backed up; false falls back to a loop. */
  publish?(key: string, frame: string, except: S | undefined): SendStatus | false;
}

/** A socket of this process: the runtime's WebSocket, or a fallback session (event stream + POST). */
export type LocalSocket<S> = S | StreamSession;

/** A socket of a room: one of this process, or (in a cluster) one another process holds. */
export type AnySocket<S> = LocalSocket<S> | RemoteSocket;

/** A room whose engine lives in this process. */
export interface LiveRoom<S extends object> {
  key: string;
  engine: RoomEngine<AnySocket<S>>;
  /** Its sockets in this process. */
  sockets: Set<LocalSocket<S>>;
  /** Its connections in other processes, by id (a cluster's owner only). */
  remotes: Map<string, RemoteSocket>;
  /** Set once this process gave the room up (a cluster's lost lease): its engine may no longer send. */
  gone?: boolean;
  /** The number of the last numbered frame sent to this process's sockets (a cluster's owner keeps it for when it must hand them over). */
  lastSent?: number;
}

/** The key of a room in storage and in the process: `type/name`. */
export function roomKey(address: RoomAddress): string {
  return `${address.type}/${address.name}`;
}

/**
 * The rooms of one long-running process (Bun, Deno): a room's engine is
 * built when it is needed and dropped when its last socket has gone (its
 * state is in the store); alarms are timers re-armed from the store at start.
 */
export class LocalRooms<S extends object> {
  protected readonly live: Map<string, LiveRoom<S>> = new Map();
  /** The room of each open socket, so a frame finds its engine without building the room's key. */
  protected readonly roomOf: WeakMap<LocalSocket<S>, LiveRoom<S>> = new WeakMap();
  /** Fallback sessions: their ends reach the room as closes. */
  protected readonly sessions: StreamSessions;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Uncapped until `routes` sets the cap. */
  protected cap: ConnectionCap = new ConnectionCap(Infinity, "no cap");
  protected stopped: boolean = false;

  constructor(
    protected readonly rooms: Record<string, AnyRoomDefinition>,
    protected readonly store: LocalStore,
    protected readonly sockets: LocalSockets<S>,
    fallback?: FallbackLimits,
    /** Arm every stored alarm at start (a cluster's processes poll for due ones instead). */
    alarmsAtStart = true,
    /** Put before fallback session ids (a cluster's process id and "."). */
    sessionPrefix = "",
  ) {
    this.sessions = new StreamSessions(fallback, (session) => this.closed(undefined, session, 1005, "the event stream ended"), sessionPrefix);
    if (!alarmsAtStart) return;
    Promise.resolve(store.alarms()).then(
      (alarms) => alarms.forEach(({ room, at }) => this.timers.has(room) || this.arm(room, at)),
      (error) => console.error("roomwire: could not read the rooms' alarms", error),
    );
  }

  /**
   * The room routes of this process under its connection cap (see
   * `ConnectionCapOptions`; the default follows `openFileLimit`, the
   * process's open-file soft limit when the adapter can read it). Call it
   * once, before serving.
   */
  routes(options: RoomsOptions & ConnectionCapOptions, host: RoomHost, openFileLimit?: number): Hono<any> {
    this.cap = ConnectionCap.resolve(options, openFileLimit);
    return this.cap.routes(options, {
      stream: (c, { address, attachment }) => this.stream(address, attachment, host.client?.(c)),
      post: (c, address, session, definition) => this.post(address, session, c.req.raw, resolveLimits(definition.limits).maxMessageBytes),
      ...host,
    });
  }

  /** Opens a fallback session (an event stream) for `address`: the stream is the response. */
  private stream(address: RoomAddress, attachment: Attachment, client: string | undefined): Response {
    const opened = this.sessions.open(roomKey(address), client, attachment);
    if (opened instanceof Response) {
      this.cap.abandoned(attachment);
      return opened;
    }
    this.open(address, opened);
    return opened.response;
  }

  /** A fallback session's POST: its frames, one per line, as if they came on its socket. */
  protected post(address: RoomAddress, id: string, request: Request, maxMessageBytes: number): Promise<Response> {
    const session = this.sessions.find(id, roomKey(address));
    return postFrames(session, request, maxMessageBytes, (frame) => this.message(address, session!, frame));
  }

  /** Connections this process holds (open, or being upgraded) and its cap. */
  connections(): ConnectionCount {
    return { count: this.cap.count(), max: this.cap.max };
  }

  /** A socket for `address` is open; its attachment is the one `accept` was given, so it takes the upgrade's place in the cap. */
  open(address: RoomAddress, socket: LocalSocket<S>): void {
    this.cap.opened(this.attachmentOf(socket));
    this.openHere(this.room(address), socket);
  }

  /** A socket of this process joins a room whose engine is here. */
  protected openHere(room: LiveRoom<S>, socket: LocalSocket<S>): void {
    room.sockets.add(socket);
    this.roomOf.set(socket, room);
    room.engine.open(socket);
  }

  message(_address: RoomAddress | undefined, socket: LocalSocket<S>, frame: string | ArrayBuffer | ArrayBufferView): void {
    this.roomOf.get(socket)?.engine.message(socket, frame);
  }

  /** The runtime reports a socket closed; reported twice, it counts once. */
  closed(_address: RoomAddress | undefined, socket: LocalSocket<S>, code: number, reason: string): void {
    const found = this.roomOf.get(socket);
    this.roomOf.delete(socket);
    if (!found?.sockets.delete(socket)) return this.cap.abandoned(this.attachmentOf(socket));
    this.cap.closed();
    this.left(found, socket);
    found.engine.close(socket, code, reason);
    void this.release(found.key);
  }

  /** A local socket has left its live room (a cluster forgets its record). */
  protected left(_room: LiveRoom<S>, _socket: LocalSocket<S>): void {}

  /** A socket's attachment, whichever kind of socket it is. */
  protected attachmentOf(socket: LocalSocket<S>): Attachment {
    return socket instanceof StreamSession ? socket.attachment : this.sockets.attachment(socket);
  }

  protected setAttachmentOf(socket: LocalSocket<S>, attachment: Attachment): void {
    if (socket instanceof StreamSession) socket.attachment = attachment;
    else this.sockets.setAttachment(socket, attachment);
  }

  protected sendLocal(socket: LocalSocket<S>, frame: string | Uint8Array): SendStatus {
    return socket instanceof StreamSession ? socket.send(frame) : this.sockets.send(socket, frame);
  }

  protected closeLocal(socket: LocalSocket<S>, code: number, reason: string): void {
    if (socket instanceof StreamSession) socket.close(code, reason);
    else this.sockets.close(socket, code, reason);
  }

  /** Bytes queued for a socket of this process (0 where the runtime cannot tell). */
  protected bufferedOf(socket: LocalSocket<S>): number {
    if (socket instanceof StreamSession) return socket.buffered();
    return this.sockets.buffered?.(socket) ?? 0;
  }

  /** Reaches any room of this process by address, building it when it has no connections. */
  readonly reach: RoomReach = { act: (address, request) => this.act(address, request) };

  /** A handle on room `name` of type `type` (see `RoomHandles`). */
  handle(type: string, name: string): RoomHandle<any> {
    return roomHandle(this.reach, this.rooms, type, name);
  }

  /** Runs a handle's request as a turn of the room; an empty room is built for it and dropped after. */
  protected async act(address: RoomAddress, request: ActionRequest): Promise<ActionOutcome> {
    if (!Object.hasOwn(this.rooms, address.type)) return { ok: false, code: "unknown_room", message: `No room type "${address.type}" is served here.` };
    if (this.stopped) return { ok: false, code: "closed", message: `The rooms of this process are closed (close() was called), so ${roomKey(address)} cannot be reached.` };
    const outcome = await this.room(address).engine.act(request);
    void this.release(roomKey(address));
    return outcome;
  }

  /** A plain HTTP request to the room. */
  async http(address: RoomAddress, request: Request): Promise<Response> {
    const response = await this.room(address).engine.http(request);
    void this.release(roomKey(address));
    return response;
  }

  /** Closes every socket with 1001 (going away), waits for the handlers and stops the alarm timers. */
  async close(): Promise<void> {
    this.stopped = true;
    this.sessions.closeAll(CloseCode.goingAway, "server going away");
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const rooms = [...this.live.values()];
    for (const { engine, sockets } of rooms) {
      for (const socket of sockets) {
        if (socket instanceof StreamSession) continue; // closed with the sessions above
        this.sockets.close(socket, CloseCode.goingAway, "server going away");
        engine.close(socket, CloseCode.goingAway, "server going away");
      }
    }
    await Promise.all(rooms.map(({ engine }) => engine.idle()));
  }

  protected room(address: RoomAddress): LiveRoom<S> {
    const key = roomKey(address);
    let found = this.live.get(key);
    if (found) return found;
    const { store, sockets: port } = this;
    const sockets = new Set<LocalSocket<S>>();
    const remotes = new Map<string, RemoteSocket>();
    const publish = port.publish;
    const webSockets = (tag?: string) => [...sockets].filter((socket): socket is S => !(socket instanceof StreamSession) && (tag === undefined || port.attachment(socket).tags?.includes(tag) === true));
    const local: SocketPort<LocalSocket<S>> = withSessions<S>(
      {
        sockets: (tag) => webSockets(tag),
        send: (socket, frame) => port.send(socket, frame),
        close: (socket, code, reason) => port.close(socket, code, reason),
        attachment: (socket) => port.attachment(socket),
        setAttachment: (socket, attachment) => port.setAttachment(socket, attachment),
        publish: publish && ((frame, except) => publish(key, frame, except)),
        buffered: port.buffered && ((socket) => port.buffered!(socket)),
      },
      (tag) => this.sessions.inRoom(key, tag),
      () => this.sessions.hasRoom(key),
    );
    found = { key, engine: undefined as never, sockets, remotes };
    found.engine = new RoomEngine<AnySocket<S>>(this.rooms[address.type]!, address, {
      storage: store.storage(key),
      others: { reach: this.reach, rooms: this.rooms },
      alarm: {
        set: async (at) => {
          await store.setAlarm(key, at);
          this.arm(key, at);
        },
        get: async () => store.getAlarm(key),
        delete: async () => {
          await store.deleteAlarm(key);
          this.disarm(key);
        },
      },
      sockets: this.socketPort(found, local),
    });
    this.live.set(key, found);
    return found;
  }

  /** The sockets a room's engine sees: this process's (a cluster adds other processes'). */
  protected socketPort(_room: LiveRoom<S>, local: SocketPort<LocalSocket<S>>): SocketPort<AnySocket<S>> {
    return local as SocketPort<AnySocket<S>>;
  }

  /** Forgets a room's engine once it has no connections and nothing queued. */
  protected async release(key: string): Promise<void> {
    const found = this.live.get(key);
    if (!found) return;
    await found.engine.idle();
    if (found.sockets.size === 0 && found.remotes.size === 0 && this.live.get(key) === found) {
      this.live.delete(key);
      await this.dropped(found);
    }
  }

  /** A room's engine was forgotten (a cluster gives up its lease). */
  protected async dropped(_room: LiveRoom<S>): Promise<void> {}

  protected arm(key: string, at: number): void {
    if (this.stopped) return;
    this.disarm(key);
    // setTimeout holds at most ~24.8 days; longer alarms re-arm on the way.
    const delay = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    this.timers.set(key, setTimeout(() => void this.ring(key).catch((error) => console.error(`roomwire: the alarm of ${key} failed`, error)), delay));
  }

  private disarm(key: string): void {
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
  }

  /** The timer is only a wake-up: the stored alarm decides whether, and when, the room's alarm runs. */
  protected async ring(key: string): Promise<void> {
    this.timers.delete(key);
    const at = await this.store.getAlarm(key);
    if (at === null || this.stopped) return;
    if (Date.now() < at) return this.arm(key, at);
    await this.store.deleteAlarm(key);
    const slash = key.indexOf("/");
    const address = { type: key.slice(0, slash), name: key.slice(slash + 1) };
    if (!Object.hasOwn(this.rooms, address.type)) return;
    try {
      await this.room(address).engine.alarm();
    } catch (error) {
      // A failed commit lost what the alarm did: ring again in a second, as a Durable Object retries its alarm.
      const stored = await this.store.getAlarm(key);
      const retry = Math.min(stored ?? Infinity, Date.now() + ALARM_RETRY_MS);
      await this.store.setAlarm(key, retry);
      this.arm(key, retry);
      throw error;
    }
    await this.release(key);
  }
}

