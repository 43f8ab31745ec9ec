/**
 * Wire protocol v1: JSON text frames, `ping`/`pong` heartbeat, error codes and
 * close codes. Everything a peer can observe on the wire is named here.
 */

/** Codes carried by `error` frames and by failed `reply` frames. */
export type ErrorCode =
  | "bad_json"
  | "unknown_type"
  | "invalid_message"
  | "unsupported"
  | "rate_limited"
  | "forbidden"
  | "internal";

/** Close codes roomwire itself uses. 4000–4999 belong to the application. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  tryLater: 1013,
} as const;

/** A close the client does not reconnect after: a policy violation (1008) or the application's own codes. */
export function isFinalClose(code: number): boolean {
  return code === CloseCode.policy || (code >= 4000 && code <= 4999);
}

/** The text frame a peer sends to check the connection, and its answer. */
export const PING = "ping";
export const PONG = "pong";

/** Query parameter of a reconnect: the last event sequence number the client saw. */
export const SINCE_PARAM = "roomwire_since";
/** Query parameter of a plain GET that asks whether an upgrade would be accepted, without upgrading. */
export const CHECK_PARAM = "roomwire_check";

/** Frame types a client may not use for its own events or requests. */
export const RESERVED_TYPES: ReadonlySet<string> = new Set(["reply", "error", "resume", "resync"]);

/** Frames of presence (both ways), in rooms with the `presence` option: the server's snapshot and diffs, a member's own state. */
export const PRESENCE_TYPE = "presence";

/** One validation problem, as sent to the client inside `invalid_message`. */
export interface Issue {
  message: string;
  path?: (string | number)[];
  expected?: string | null;
  received?: string;
}

/** The body of an `error` frame or of a failed reply. */
export interface ErrorBody {
  code: ErrorCode | (string & {});
  message: string;
  issues?: Issue[];
}

/** A request id as the client sent it. */
export type RequestId = string | number;

/** Encodes a server event frame. */
export function eventFrame(type: string, data: unknown): string {
  return data === undefined ? JSON.stringify({ type }) : JSON.stringify({ type, data });
}

/** Encodes a numbered (replayable) event frame of a resumable room. */
export function numberedFrame(type: string, data: unknown, seq: number): string {
  return data === undefined ? JSON.stringify({ type, seq }) : JSON.stringify({ type, data, seq });
}

/** Tells a client where the room's sequence stands: `resume` (it has every event up to `seq`) or `resync` (it missed some for good). */
export function sequenceFrame(type: "resume" | "resync", seq: number): string {
  return JSON.stringify({ type, seq });
}

/**
 * The sequence number a frame carries at its end: a numbered event's, or a
 * `resume`/`resync` frame's (what a client has seen up to). A reply or an
 * unnumbered event ends in its data's closing brace, so it never matches.
 */
export function seqOf(frame: string): number | undefined {
  const match = /,"seq":(\d+)}$/.exec(frame.length > 40 ? frame.slice(-40) : frame);
  return match ? Number(match[1]) : undefined;
}

/** Encodes a successful reply to request `id`. */
export function replyFrame(id: RequestId, data: unknown): string {
  return JSON.stringify({ type: "reply", id, data: data ?? null });
}

/** Encodes a failed reply to request `id`. */
export function replyErrorFrame(id: RequestId, error: ErrorBody): string {
  return JSON.stringify({ type: "reply", id, error });
}

/** Encodes an `error` frame. */
export function errorFrame(error: ErrorBody): string {
  return JSON.stringify({ type: "error", error });
}
