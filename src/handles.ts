import type { ActionErrorCode, ActionOutcome, ActionRequest } from "./actions.ts";
import type { ActionInput, ActionResult, ClientEmits, DataArgs, RoomActions } from "./definition-types.ts";
import { isRoomName } from "./names.ts";
import type { AnyRoomDefinition, RoomAddress } from "./types.ts";

/**
 * How a runtime reaches any room of its deployment by address: in this
 * process (Bun, Deno, Node), or through the room's Durable Object (Cloudflare).
 */
export interface RoomReach {
  act(address: RoomAddress, request: ActionRequest): Promise<ActionOutcome>;
}

/**
 * A handle's request failed: the room type, action or data was refused, the
 * action threw, or what it wrote could not be stored. `code` says which
 * (an `ActionErrorCode`, or the code of a `RoomError` the action threw).
 *
 * @example
 * try {
 *   await rooms.room("dashboard", "main").call("record", { cpu: 42 });
 * } catch (error) {
 *   if (error instanceof RoomCallError && error.code === "invalid_data") console.warn(error.message);
 * }
 */
export class RoomCallError extends Error {
  readonly code: ActionErrorCode | (string & {});
  /** The room the request was for. */
  readonly room: RoomAddress;
  constructor(code: ActionErrorCode | (string & {}), message: string, room: RoomAddress) {
    super(message);
    this.name = "RoomCallError";
    this.code = code;
    this.room = room;
  }
}

/** Options of a handle's `broadcast`. */
export interface HandleBroadcastOptions {
  /** Only the connections with this tag (see the definition's `tags`); such a broadcast is not numbered for replay. */
  tag?: string;
}

/**
 * Server code's way into one room: call its actions, broadcast to its
 * connections. Each request runs as a turn of the room, in order with its
 * clients' messages, and resolves once what it wrote is durable and what it
 * sent has left. A room with no connections is built for it.
 *
 * @example
 * const main = rooms.room("dashboard", "main");
 * const changed = await main.call("record", { cpu: 42 });
 * await main.broadcast("notice", { text: "maintenance at 18:00" });
 * await rooms.room("inbox", userId).broadcast("message", { text: "Your order shipped" }, { tag: "mobile" });
 */
export interface RoomHandle<Def = AnyRoomDefinition> {
  readonly type: string;
  readonly name: string;
  /** Runs action `action` with `data` as a turn of the room; resolves with its result (a JSON copy), rejects with `RoomCallError`. */
  call<K extends keyof RoomActions<Def> & string>(action: K, ...data: DataArgs<ActionInput<Def, K>>): Promise<ActionResult<Def, K>>;
  /** Sends an event to every connection of the room (numbered in a resumable room), or only to those with `options.tag`. */
  broadcast<K extends keyof ClientEmits<Def> & string>(type: K, ...args: DataArgs<ClientEmits<Def>[K], [options?: HandleBroadcastOptions]>): Promise<void>;
}

/** Handles on the rooms of a deployment, typed from its room types `R`. */
export interface RoomHandles<R extends Record<string, AnyRoomDefinition>> {
  /**
   * A handle on room `name` of type `type`. Throws when this deployment does
   * not serve `type` or `name` is not a valid room name.
   *
   * @example
   * const total = await rooms.room("counter", "lobby").call("add", { by: 1 });
   */
  room<T extends keyof R & string>(type: T, name: string): RoomHandle<R[T]>;
}

/** Who holds a handle from inside a room: a call to itself while one of its turns runs would wait for itself. */
export interface HandleCaller {
  address: RoomAddress;
  busy(): boolean;
}

/**
 * Builds a handle on `type`/`name`, checked against the room types served
 * here. Adapters use it to offer `rooms.room()`; `reach` is how they run a
 * request in the room.
 *
 * @example
 * const handle = roomHandle(localRooms.reach, { counter }, "counter", "lobby");
 * await handle.call("add", { by: 1 });
 */
export function roomHandle(reach: RoomReach, rooms: Record<string, AnyRoomDefinition>, type: string, name: string, caller?: HandleCaller): RoomHandle<any> {
  if (!Object.hasOwn(rooms, type)) {
    const known = Object.keys(rooms).map((each) => `"${each}"`).join(", ");
    throw new RoomCallError("unknown_room", `No room type "${type}" is served here; the room types are ${known || "none"}.`, { type, name });
  }
  if (!isRoomName(name)) {
    throw new RoomCallError("invalid_data", `Invalid room name ${JSON.stringify(name)}: use 1–128 characters of A–Z, a–z, 0–9, '.', '_', '~' and '-', other than '.' and '..'.`, { type, name });
  }
  const address = { type, name };
  const self = caller !== undefined && caller.address.type === type && caller.address.name === name;
  const send = async (request: ActionRequest): Promise<unknown> => {
    if (self && caller.busy()) {
      throw new RoomCallError("self_call", `${type}/${name} called itself through a handle while one of its turns runs, which would wait for itself; call the function directly instead.`, address);
    }
    const outcome = await reach.act(address, request);
    if (!outcome.ok) throw new RoomCallError(outcome.code, outcome.message, address);
    return outcome.result === undefined ? undefined : JSON.parse(outcome.result);
  };
  return {
    type,
    name,
    call: (action: string, data?: unknown) => encode(data, address).then((json) => send({ kind: "call", action, data: json })),
    broadcast: (eventType: string, data?: unknown, options?: HandleBroadcastOptions) =>
      encode(data, address).then((json) => send({ kind: "broadcast", type: eventType, data: json, tag: options?.tag })).then(() => undefined),
  } as RoomHandle<any>;
}

/** Data as JSON text, or a rejection that says why it is not JSON. */
async function encode(data: unknown, address: RoomAddress): Promise<string | undefined> {
  if (data === undefined) return undefined;
  try {
    return JSON.stringify(data);
  } catch (error) {
    throw new RoomCallError("invalid_data", `The data for ${address.type}/${address.name} is not JSON: ${error instanceof Error ? error.message : String(error)}`, address);
  }
}
