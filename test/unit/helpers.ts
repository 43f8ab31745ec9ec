import type { ErrorBody } from "../../src/index.ts";
import type { Received, TestConnection } from "../../src/testing/index.ts";

/** A parsed JSON frame (not `pong`, not binary). */
export type Frame = Exclude<Received, string | Uint8Array>;

export function isFrame(frame: Received): frame is Frame {
  return typeof frame === "object" && !(frame instanceof Uint8Array);
}

/** The JSON frames a connection received, in order. */
export function framesOf(conn: TestConnection): Frame[] {
  return conn.received.filter(isFrame);
}

/** The bodies of the `error` frames a connection received, in order. */
export function errorsOf(conn: TestConnection): ErrorBody[] {
  return framesOf(conn)
    .filter((frame) => frame.type === "error")
    .map((frame) => frame.error!);
}

/** The frames received since `mark` (an index into `conn.received`). */
export function since(conn: TestConnection, mark: number): Received[] {
  return conn.received.slice(mark);
}
