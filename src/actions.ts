import { safeParse, type GenericSchema } from "valibot";
import { RoomError } from "./errors.ts";
import { RoomCallError } from "./handles.ts";
import { own } from "./dispatch.ts";
import type { AnyRoomDefinition, Room } from "./types.ts";

/**
 * What server code asks of a room through a handle. Plain data, so it
 * crosses a Durable Object RPC (or a process) as it is; data travels as
 * JSON text, so every runtime sees exactly what JSON can carry.
 */
export type ActionRequest =
  /** Run action `action` with `data` (JSON text; undefined for no data). */
  | { kind: "call"; action: string; data?: string }
  /** Send an event to every connection, or to those tagged `tag`. */
  | { kind: "broadcast"; type: string; data?: string; tag?: string };

/** Why a handle's request failed; the codes `RoomCallError` carries. */
export type ActionErrorCode =
  /** No room type of that name is served here. */
  | "unknown_room"
  /** The room has no action of that name. */
  | "unknown_action"
  /** The data is not JSON, or its schema refused it. */
  | "invalid_data"
  /** The action threw (a `RoomError` thrown by it keeps its own code instead). */
  | "action_failed"
  /** The action's result is not JSON. */
  | "invalid_result"
  /** The room could not store what the action wrote; nothing of it happened. */
  | "not_stored"
  /** A room called itself from inside one of its turns, which would wait for itself for ever. */
  | "self_call"
  /** The process's rooms were closed (`close()`); nothing ran. */
  | "closed";

/** How a handle's request ended: the result as JSON text, or an error. Plain data, like the request. */
export type ActionOutcome = { ok: true; result?: string } | { ok: false; code: ActionErrorCode | (string & {}); message: string };

/** A request checked against the definition: the turn to run, or the answer to give at once. */
export type PreparedAction = { ok: true; during: "action"; run: (room: Room<any, any>) => Promise<ActionOutcome> } | { ok: false; outcome: ActionOutcome };

/** Checks a handle's request against the room's definition and builds what its turn runs. */
export function prepareAction(definition: AnyRoomDefinition, request: ActionRequest, where: string): PreparedAction {
  const data = parseData(request.data);
  if (!data.ok) return refuse("invalid_data", `The data for ${where} is not JSON: ${data.message}`);
  if (request.kind === "broadcast") {
    return {
      ok: true,
      during: "action",
      run: async (room) => {
        if (request.tag === undefined) room.broadcast(request.type, data.value);
        else for (const connection of room.connections(request.tag)) connection.send(request.type, data.value);
        return { ok: true };
      },
    };
  }
  const action = request.action;
  const handler = own(definition.actions as Record<string, Function> | undefined, action);
  if (!handler) {
    const names = Object.keys(definition.actions ?? {});
    const known = names.length > 0 ? `Its actions are ${names.map((name) => `"${name}"`).join(", ")}.` : "It defines no actions.";
    return refuse("unknown_action", `${where} has no action "${action}". ${known}`);
  }
  let input = data.value;
  const schema = own<GenericSchema>(definition.actionInputs, action);
  if (schema) {
    const parsed = safeParse(schema, input);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const path = issue?.path?.map((item) => String(item.key)).join(".");
      return refuse("invalid_data", `Invalid data for action "${action}" of ${where}${path ? ` at ${path}` : ""}: ${issue?.message ?? "rejected by its schema"}.`);
    }
    input = parsed.output;
  }
  return {
    ok: true,
    during: "action",
    run: async (room) => {
      const result = await handler(input, room);
      if (result === undefined) return { ok: true };
      try {
        return { ok: true, result: JSON.stringify(result) };
      } catch (error) {
        // Thrown, so the turn fails whole: nothing it wrote is kept for a caller told it failed.
        throw new RoomError("invalid_result", `The action "${action}" of ${where} returned a value that is not JSON (${messageOf(error)}); nothing it did was kept.`);
      }
    },
  };
}

/** The outcome of an action whose handler threw `error`. */
export function thrownOutcome(error: unknown, action: string, where: string): ActionOutcome {
  // A refusal on purpose, or a handle's call that failed inside the action (its message names that room).
  if (error instanceof RoomError || error instanceof RoomCallError) return { ok: false, code: error.code, message: error.message };
  return { ok: false, code: "action_failed", message: `${action} in ${where} threw: ${messageOf(error)}` };
}

/** The outcome of a request whose writes were lost with a failed commit. */
export function lostOutcome(where: string): ActionOutcome {
  return { ok: false, code: "not_stored", message: `${where} could not store what this request wrote, so none of it happened; try again.` };
}

function refuse(code: ActionErrorCode, message: string): PreparedAction {
  return { ok: false, outcome: { ok: false, code, message } };
}

function parseData(text: string | undefined): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text === undefined) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: messageOf(error) };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
