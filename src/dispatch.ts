import { safeParse, type GenericSchema } from "valibot";
import { errorFrame, PRESENCE_TYPE, replyErrorFrame, type ErrorBody, type Issue, type RequestId } from "./protocol.ts";
import type { AnyRoomDefinition, Connection, Room } from "./types.ts";

type Handler = (connection: Connection<any, any>, room: Room<any, any>) => unknown;

/**
 * What a client's frame asks of the room: a handler to run as a turn (an
 * event, a request with its id, binary), or an answer to send at once
 * because the frame is refused (bad JSON, an unknown type, invalid data).
 */
export type Dispatch =
  | { kind: "refused"; answer: string }
  | { kind: "event"; during: "event" | "binary"; handler: Handler }
  | { kind: "request"; id: RequestId; handler: Handler }
  /** A member sets their own presence state (rooms with `presence`). */
  | { kind: "presence"; state: unknown };

/** Decodes and validates one frame against the room's definition. */
export function dispatch(definition: AnyRoomDefinition, frame: string | Uint8Array): Dispatch {
  if (typeof frame !== "string") {
    const binary = definition.binary;
    if (!binary) return refused("unsupported", "This room does not accept binary frames; send JSON text frames.");
    return { kind: "event", during: "binary", handler: (connection, room) => binary(frame, connection, room) };
  }
  let message: unknown;
  try {
    message = JSON.parse(frame);
  } catch {
    return refused("bad_json", "The frame is not valid JSON; send {\"type\": \"…\", \"data\": …}.");
  }
  if (typeof message !== "object" || message === null || Array.isArray(message) || typeof (message as { type?: unknown }).type !== "string") {
    return refused("invalid_message", "Expected a JSON object with a string \"type\".");
  }
  const { type, id, data } = message as { type: string; id?: unknown; data?: unknown };
  if (id === undefined) return event(definition, type, data);
  if ((typeof id === "string" && id.length > 0 && id.length <= 128) || (typeof id === "number" && Number.isFinite(id))) return request(definition, type, id, data);
  return refused("invalid_message", "A request \"id\" must be a string of 1–128 characters or a finite number.");
}

function event(definition: AnyRoomDefinition, type: string, data: unknown): Dispatch {
  if (type === PRESENCE_TYPE && definition.presence) return presenceEvent(definition.presence.state, data);
  const schema = own<GenericSchema>(definition.events, type);
  const handler = own(definition.on as Record<string, Function> | undefined, type);
  if (!schema || !handler) {
    const hint = own(definition.requests, type) ? ` "${type}" is a request: send it with an "id".` : "";
    return refused("unknown_type", `Unknown event type "${type}".${hint}`);
  }
  const parsed = validate(schema, data);
  if (!parsed.ok) return { kind: "refused", answer: errorFrame(invalid(type, parsed.issues)) };
  return { kind: "event", during: "event", handler: (connection, room) => handler(parsed.value, connection, room) };
}

function request(definition: AnyRoomDefinition, type: string, id: RequestId, data: unknown): Dispatch {
  const schema = own<GenericSchema>(definition.requests, type);
  const handler = own(definition.replies as Record<string, Function> | undefined, type);
  if (!schema || !handler) {
    const hint = own(definition.events, type) ? ` "${type}" is an event: send it without an "id".` : "";
    return { kind: "refused", answer: replyErrorFrame(id, { code: "unknown_type", message: `Unknown request type "${type}".${hint}` }) };
  }
  const parsed = validate(schema, data);
  if (!parsed.ok) return { kind: "refused", answer: replyErrorFrame(id, invalid(type, parsed.issues)) };
  return { kind: "request", id, handler: (connection, room) => handler(parsed.value, connection, room) };
}

function presenceEvent(schema: GenericSchema | undefined, data: unknown): Dispatch {
  if (!schema) return refused("unsupported", "In this room only the server sets presence state.");
  const parsed = validate(schema, data);
  if (!parsed.ok) return { kind: "refused", answer: errorFrame(invalid(PRESENCE_TYPE, parsed.issues)) };
  return { kind: "presence", state: parsed.value };
}

function refused(code: ErrorBody["code"], message: string): Dispatch {
  return { kind: "refused", answer: errorFrame({ code, message }) };
}

/** A record's own entry, never an inherited one such as "constructor". */
export function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function validate(schema: GenericSchema, data: unknown): { ok: true; value: unknown } | { ok: false; issues: Issue[] } {
  const result = safeParse(schema, data);
  if (result.success) return { ok: true, value: result.output };
  return {
    ok: false,
    issues: result.issues.map((issue) => ({
      message: issue.message,
      path: issue.path?.map((item) => item.key as string | number),
      expected: issue.expected,
      received: issue.received,
    })),
  };
}

function invalid(type: string, issues: Issue[]): ErrorBody {
  const first = issues[0];
  const where = first?.path?.length ? ` at ${first.path.join(".")}` : "";
  return { code: "invalid_message", message: `Invalid "${type}"${where}: ${first?.message ?? "rejected by its schema"}`, issues };
}

/** UTF-8 size of a text frame, computed only when the character count cannot decide. */
export function textSize(text: string, limit: number): number {
  if (text.length * 3 <= limit || text.length > limit) return text.length;
  return new TextEncoder().encode(text).byteLength;
}

/** A binary frame as the runtime hands it, as a Uint8Array over the same bytes. */
export function toBytes(frame: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (frame instanceof Uint8Array) return frame;
  if (ArrayBuffer.isView(frame)) return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  return new Uint8Array(frame);
}

