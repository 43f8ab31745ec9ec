import type { GenericSchema, InferOutput } from "valibot";
import type { RoomHandle } from "./handles.ts";
import type { PresenceMember, PresenceOptions } from "./presence.ts";
import type { RoomLimitsInput } from "./limits.ts";

/** A record of named valibot schemas: one per event, request or emitted event. */
export type Schemas = Record<string, GenericSchema>;

/** What `send()` did with a frame: handed to the socket, buffered behind earlier frames (backpressure), or dropped (socket closed). */
export type SendStatus = "sent" | "buffered" | "dropped";

/** Options of `storage.list()`. `start` is inclusive, `end` exclusive; keys are ordered by their UTF-8 bytes. */
export interface ListOptions {
  prefix?: string;
  start?: string;
  end?: string;
  limit?: number;
  reverse?: boolean;
}

/**
 * Persisted key/value state of one room. Values are JSON; keys are strings.
 * It is the only state that outlives a hibernation or a restart.
 *
 * @example
 * const count = (await room.storage.get<number>("count")) ?? 0;
 * await room.storage.put("count", count + 1);
 */
export interface RoomStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  /** Resolves to whether the key existed. */
  delete(key: string): Promise<boolean>;
  list<T = unknown>(options?: ListOptions): Promise<Map<string, T>>;
}

/** Server → client event types, from a definition's `emits` schemas. */
export type EmitsOf<S extends Schemas> = { [K in keyof S & string]: InferOutput<S[K]> };

/** Event payload types a room may send: typed from `emits`, or anything when `emits` is left out. */
export type Emits<S extends Schemas> = keyof S extends never ? Record<string, unknown> : EmitsOf<S>;

/**
 * One client connected to a room. Rebuilt from the socket's attachment after
 * a hibernation, so it must not be used to keep state: use `setData()`.
 */
export interface Connection<D = unknown, E = Record<string, unknown>> {
  /** Unique id, fixed at connect. */
  readonly id: string;
  /** Per-connection data: what `upgrade` returned, or the last `setData()`. */
  readonly data: D;
  /** Tags fixed at connect (see the definition's `tags`). */
  readonly tags: readonly string[];
  /**
   * Replaces this connection's data. It must be JSON and fit the 16 KiB budget
   * (serialised, with roomwire's own fields); a `LimitError` says by how much it does not.
   */
  setData(data: D): void;
  /** Sends an event frame `{"type","data"}` to this connection. */
  send<K extends keyof E & string>(type: K, data: E[K]): SendStatus;
  /** Sends a binary frame to this connection. */
  sendBinary(bytes: Uint8Array | ArrayBuffer): SendStatus;
  /** Closes the connection (default 1000). */
  close(code?: number, reason?: string): void;
}

/** Bounds of a resumable room's replay log. */
export interface ResumeOptions {
  /** Most events kept for replay. Default 1,000. */
  events?: number;
  /** Oldest event kept for replay, in ms. Default 5 minutes. */
  maxAgeMs?: number;
}

/** Who to leave out of a broadcast: connections or their ids. */
export type Except = Connection<any, any> | string | ReadonlyArray<Connection<any, any> | string>;

/** The room a handler runs in. Handlers get it as an argument; nothing here is kept between events. */
export interface Room<D = unknown, E = Record<string, unknown>> {
  readonly type: string;
  readonly name: string;
  /** Open connections of the room, optionally only those with `tag`. */
  connections(tag?: string): Connection<D, E>[];
  /** Sends an event frame to every open connection, except the ones named. */
  broadcast<K extends keyof E & string>(type: K, data: E[K], options?: { except?: Except }): void;
  readonly storage: RoomStorage;
  /** Schedules the room's single alarm (ms since the epoch or a Date); replaces an earlier one. */
  setAlarm(at: number | Date): Promise<void>;
  getAlarm(): Promise<number | null>;
  deleteAlarm(): Promise<void>;
  /**
   * A handle on another room of this deployment (same process, or its own
   * Durable Object): call its actions, broadcast to it. Type it with the
   * other room's definition. A call runs as a turn of that room; awaiting it
   * holds this room's turn, so two rooms must not call each other in a cycle.
   *
   * @example
   * const inbox = room.handle<typeof inboxRoom>("inbox", connection.data.user);
   * await inbox.call("push", { text: "you were mentioned" });
   */
  handle<Def extends AnyRoomDefinition = AnyRoomDefinition>(type: string, name: string): RoomHandle<Def>;
  /**
   * Runs the definition's `timer(name, room)` at `at` (ms since the epoch, or
   * a Date); replaces an earlier schedule of that name. Schedules are kept in
   * room storage with the turn that set them, so they survive hibernation and
   * restarts; any number share the runtime's one alarm with `setAlarm`.
   *
   * @example
   * await room.schedule(`expire:${id}`, Date.now() + 60_000);
   */
  schedule(name: string, at: number | Date): Promise<void>;
  /** Cancels the schedule `name` (nothing happens if there is none). */
  cancel(name: string): Promise<void>;
  /** When the schedule `name` is due (ms since the epoch), or null. */
  scheduled(name: string): Promise<number | null>;
  /** The room's members (rooms with the `presence` option). */
  readonly presence: RoomPresence;
}

/**
 * Members of a room with the `presence` option, derived from its connections
 * and room storage.
 *
 * @example
 * const members = await room.presence.members(); // [{ member: "ann", state: { typing: false } }]
 * await room.presence.set("ann", { typing: true });
 */
export interface RoomPresence {
  /** Every member (connected, or within the grace period after their last connection), sorted by key. */
  members(): Promise<PresenceMember[]>;
  /** Sets a connected member's state and tells every connection (in a big room, only the count changes). */
  set(member: string, state: unknown): Promise<void>;
}

/**
 * Where a hook was running when it threw; `origin` is the `origins` test of the
 * room routes; `action`: an action called through a handle; `commit`: storing
 * what a turn wrote failed (its frames were not sent).
 */
export type HookName = "origin" | "upgrade" | "connect" | "event" | "request" | "binary" | "http" | "close" | "alarm" | "timer" | "action" | "commit";

/** What the `error` hook learns about a failure. */
export interface ErrorContext<D, E> {
  during: HookName;
  /** The room, except during `origin` and `upgrade` (which run before the room is reached). */
  room?: Room<D, E>;
  connection?: Connection<D, E>;
}

/** How a connection ended. `code` is 1005 when the peer's close frame had none, 1006 when the link dropped. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Where the room route was requested: the type and the (validated) name. */
export interface RoomAddress {
  type: string;
  name: string;
}

type Awaitable<T> = T | Promise<T>;

/**
 * The reply handlers of a definition, one per request schema. `H` maps each
 * request type to what its handler returns (inferred), which types the reply.
 */
export type Replies<RQ extends Schemas, H, D, E> = {
  [K in keyof H]: (data: InferOutput<RQ[K & keyof RQ]>, connection: Connection<D, E>, room: Room<D, E>) => H[K] | Promise<H[K]>;
};

/**
 * The actions of a definition: one function per name, `(data, room) => result`.
 * Those with a schema in `actionInputs` get its validated output as `data`.
 */
export type Actions<AI, D, E> = { [K in keyof AI]: (data: InferOutput<AI[K] & GenericSchema>, room: Room<D, E>) => unknown };

/** Everything a room is: its messages, its hooks and its limits. Build one with `defineRoom`. */
export interface RoomDefinition<
  EV extends Schemas = Schemas,
  RQ extends Schemas = Schemas,
  S extends Schemas = Schemas,
  D = any,
  H = any,
  AI = any,
  A = any,
  PS = any,
> {
  /** Client → server events, by type. */
  events?: EV;
  /** Client → server requests, by type; each has a reply handler in `replies`. */
  requests?: RQ;
  /** Server → client events, by type. Used for types only (the room's `send`/`broadcast`, the client's `on`). */
  emits?: S;
  /**
   * Runs before the connection is accepted (on Cloudflare: in the Worker, before the room's object is touched).
   * Return the connection's initial data, or a `Response` to refuse (401, 403 …).
   */
  upgrade?: (request: Request, room: RoomAddress) => Awaitable<D | Response>;
  /** Tags of a connection, from its initial data; `room.connections(tag)` filters by them. At most 10, each 1–256 characters. */
  tags?: (data: D) => string[];
  /** Runs once a connection is open. */
  connect?: (connection: Connection<D, Emits<S>>, room: Room<D, Emits<S>>) => Awaitable<void>;
  /** One handler per event type. */
  on?: { [K in keyof EV]: (data: InferOutput<EV[K]>, connection: Connection<D, Emits<S>>, room: Room<D, Emits<S>>) => Awaitable<void> };
  /** One reply handler per request type; what it returns (or resolves to) is the reply's `data`. */
  replies?: Replies<RQ, H, D, Emits<S>>;
  /** Binary frames; without this handler they are answered with `unsupported`. */
  binary?: (bytes: Uint8Array, connection: Connection<D, Emits<S>>, room: Room<D, Emits<S>>) => Awaitable<void>;
  /** Plain HTTP requests to the room route; without this handler they get 426. */
  http?: (request: Request, room: Room<D, Emits<S>>) => Awaitable<Response>;
  /** Runs after a connection ended; `room.connections()` no longer lists it. */
  close?: (connection: Connection<D, Emits<S>>, room: Room<D, Emits<S>>, info: CloseInfo) => Awaitable<void>;
  /** Runs when any hook throws. The client only ever sees `internal` for such errors. */
  error?: (error: unknown, context: ErrorContext<D, Emits<S>>) => Awaitable<void>;
  /** Runs when the alarm set with `room.setAlarm()` is due. */
  alarm?: (room: Room<D, Emits<S>>) => Awaitable<void>;
  /** Runs when a schedule set with `room.schedule(name, at)` is due. */
  timer?: (name: string, room: Room<D, Emits<S>>) => Awaitable<void>;
  /**
   * Presence: members rather than sockets (one user with two tabs is one
   * member), each with a state; joins and leaves with a grace period; counts
   * in big rooms. See `PresenceOptions`.
   */
  presence?: PresenceOptions<D, PS & (GenericSchema | undefined)>;
  /**
   * Schemas of action data, by action name: a call's data is validated
   * against them before the action runs (`invalid_data` otherwise). Actions
   * without one take any JSON data.
   */
  actionInputs?: AI;
  /**
   * Functions server code calls through a room handle (`rooms.room(type,
   * name).call(action, data)`), and other rooms through `room.handle()`.
   * Each runs as a turn of the room, like any handler; what it returns (JSON)
   * is the call's result.
   */
  actions?: A & Actions<NoInfer<AI>, D, Emits<S>>;
  /** Limits; see `RoomLimits` for the defaults. */
  limits?: RoomLimitsInput;
  /**
   * Resumable sessions: broadcasts (those without `except`) are numbered and
   * the latest kept in room storage, so a reconnecting `roomwire/client` gets
   * exactly what it missed. `true` for the defaults (1,000 events, 5 minutes).
   */
  resume?: boolean | ResumeOptions;
}

/** Any room definition, whatever its schemas: what routes and hosts accept. */
export type AnyRoomDefinition = RoomDefinition<any, any, any, any, any, any, any, any>;
