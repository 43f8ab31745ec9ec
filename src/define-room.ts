import type { GenericSchema } from "valibot";
import { PRESENCE_TYPE, RESERVED_TYPES } from "./protocol.ts";
import type { Emits, Room, RoomDefinition, Schemas } from "./types.ts";

/**
 * Defines a room type: the messages it accepts (valibot schemas), what each
 * one does, and what it does on upgrade, connect, close, alarm and error.
 * Handler arguments are typed from the schemas and from what `upgrade` returns.
 *
 * @example
 * const counter = defineRoom({
 *   events: { add: v.object({ by: v.number() }) },
 *   requests: { total: v.optional(v.object({})) },
 *   upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user") ?? "anon" }),
 *   on: {
 *     async add({ by }, connection, room) {
 *       const total = ((await room.storage.get<number>("total")) ?? 0) + by;
 *       await room.storage.put("total", total);
 *       room.broadcast("total", { total, by: connection.data.user });
 *     },
 *   },
 *   replies: { total: async (_, __, room) => (await room.storage.get<number>("total")) ?? 0 },
 *   // Server code: await rooms.room("counter", "lobby").call("reset", { to: 0 })
 *   actionInputs: { reset: v.object({ to: v.number() }) },
 *   actions: {
 *     async reset({ to }, room) {
 *       await room.storage.put("total", to);
 *       room.broadcast("total", { total: to, by: "server" });
 *       return to;
 *     },
 *   },
 * });
 */
export function defineRoom<
  const EV extends Schemas = {},
  const RQ extends Schemas = {},
  const S extends Schemas = {},
  D = {},
  H extends { [K in keyof RQ]: unknown } = { [K in keyof RQ]: unknown },
  const AI extends Schemas = {},
  A extends Record<string, (data: any, room: Room<D, Emits<S>>) => unknown> = {},
  const PS extends GenericSchema | undefined = undefined,
>(definition: RoomDefinition<EV, RQ, S, D, H, AI, A, PS>): RoomDefinition<EV, RQ, S, D, H, AI, A, PS> {
  checkHandlers("event", definition.events, definition.on, "on");
  checkHandlers("request", definition.requests, definition.replies as Record<string, unknown> | undefined, "replies");
  for (const name of Object.keys(definition.actionInputs ?? {})) {
    if (typeof (definition.actions as Record<string, unknown> | undefined)?.[name] !== "function") {
      throw new Error(`The action "${name}" has a schema in actionInputs but no function; add actions.${name}(data, room).`);
    }
  }
  if (definition.presence) {
    if (typeof definition.presence.member !== "function") throw new Error("presence.member is not a function; it is (data) => the member's key, e.g. (data) => data.user.");
    for (const [field, record] of [["events", definition.events], ["emits", definition.emits]] as const) {
      if (record && Object.hasOwn(record, PRESENCE_TYPE)) throw new Error(`"${PRESENCE_TYPE}" is reserved in a room with presence and cannot be one of its ${field}; choose another name.`);
    }
  }
  for (const [name, action] of Object.entries(definition.actions ?? {})) {
    if (typeof action !== "function") throw new Error(`actions.${name} is not a function; an action is (data, room) => result.`);
  }
  return definition;
}

function checkHandlers(kind: string, schemas: Schemas | undefined, handlers: Record<string, unknown> | undefined, field: string): void {
  for (const type of Object.keys(schemas ?? {})) {
    if (RESERVED_TYPES.has(type)) {
      throw new Error(`"${type}" is reserved by the wire protocol and cannot be an ${kind} type; choose another name.`);
    }
    if (typeof handlers?.[type] !== "function") {
      throw new Error(`The ${kind} "${type}" has a schema but no handler; add ${field}.${type}(data, connection, room).`);
    }
  }
  for (const type of Object.keys(handlers ?? {})) {
    if (!schemas || !Object.hasOwn(schemas, type)) {
      throw new Error(`${field}.${type} has no schema; add ${kind === "event" ? "events" : "requests"}.${type} with a valibot schema.`);
    }
  }
}
