import type { RoomReach } from "./handles.ts";
import type { AnyRoomDefinition, SendStatus } from "./types.ts";

/**
 * The contracts an adapter implements for one room. The core owns every
 * behaviour; an adapter only moves bytes, stores strings and keeps time.
 */

/** What roomwire keeps on each socket (a Durable Object attachment); it survives hibernation. */
export interface Attachment {
  id: string;
  data: unknown;
  tags?: string[];
  /** Set when the server closed the socket and already ran its `close` hook. */
  ended?: true;
  /** The last event sequence number the client saw before it reconnected (resumable rooms). */
  since?: number;
  /** Its presence member, fixed at connect (rooms with `presence`). */
  member?: string;
}

/** The sockets of one room. `S` is the runtime's socket type. */
export interface SocketPort<S> {
  /** Open sockets of the room, optionally only those tagged `tag`. */
  sockets(tag?: string): Iterable<S>;
  send(socket: S, frame: string | Uint8Array): SendStatus;
  close(socket: S, code?: number, reason?: string): void;
  attachment(socket: S): Attachment;
  setAttachment(socket: S, attachment: Attachment): void;
  /**
   * Bytes queued for `socket` but not yet written to the network. Without it
   * (workerd has no `bufferedAmount`), the core estimates them.
   */
  buffered?(socket: S): number;
  /**
   * Optional native fan-out of one text frame to every socket of the room
   * except `except` (at most one socket): `"buffered"` when some socket is
   * backed up (the core then checks each one), `false` to fall back to a loop over `send`.
   */
  publish?(frame: string, except: S | undefined): SendStatus | false;
}

/** Which keys a `list()` covers: those under `prefix`, at or after `start`, before `end` (UTF-8 byte order). */
export interface ListRange {
  prefix?: string;
  start?: string;
  end?: string;
}

/** Room storage as an adapter sees it: JSON strings under string keys, scoped to one room. */
export interface StoragePort {
  get(key: string): Promise<string | undefined>;
  /** Entries ordered by key (UTF-8 byte order), honouring every option. */
  list(options: ListRange & { limit?: number; reverse?: boolean }): Promise<[string, string][]>;
  /**
   * Stores every put and applies every delete as one atomic write: after a
   * crash, all of it or none of it is there. It resolves once the write is
   * durable. It is never asked for more than `TURN_BUDGET` (128 keys, 512 KiB),
   * and a key appears at most once.
   */
  commit(puts: [key: string, value: string][], deletes: string[]): Promise<void>;
}

/** The room's single wake-up. */
export interface AlarmPort {
  set(at: number): Promise<void>;
  get(): Promise<number | null>;
  delete(): Promise<void>;
}

/** Everything one room needs from its runtime. */
export interface RoomPorts<S> {
  sockets: SocketPort<S>;
  storage: StoragePort;
  alarm: AlarmPort;
  /** Clock, overridable in tests. Defaults to `Date.now`. */
  now?: () => number;
  /** The deployment's rooms, for `room.handle()`: how to reach one, and the room types served. */
  others?: { reach: RoomReach; rooms: Record<string, AnyRoomDefinition> };
}
