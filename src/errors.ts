import type { ErrorCode } from "./protocol.ts";

/**
 * An error a handler throws on purpose: its code and message reach the client
 * (as an `error` frame, or as the failed reply of a request). Any other thrown
 * value reaches the client only as `internal`, with a generic message.
 *
 * @example
 * if (!connection.data.admin) throw new RoomError("forbidden", "Only admins may clear the room.");
 */
export class RoomError extends Error {
  readonly code: ErrorCode | (string & {});
  constructor(code: ErrorCode | (string & {}), message: string) {
    super(message);
    this.name = "RoomError";
    this.code = code;
  }
}

/** A limit of roomwire's was exceeded by server code (not by a client). */
export class LimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LimitError";
  }
}
