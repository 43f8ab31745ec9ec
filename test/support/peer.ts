/** A frame as a test sees it: JSON parsed, other text and binary as they came. */
export type Frame = { type: string; id?: string | number; seq?: number; data?: any; error?: { code: string; message: string; issues?: any[] } };

/** Anything a peer receives: a JSON frame, other text (`pong`), or bytes. */
export type Received = Frame | string | Uint8Array;

/**
 * One client connection to a room, as the suites drive it: over a real
 * WebSocket (`Peer`, test/support/ws-client.ts) or in memory
 * (`memoryPeer`, test/support/memory-peer.ts, over `testRoom`). Sends do not
 * wait; every frame received is kept until `next` takes it.
 */
export interface TestPeer {
  /** Frames received and not yet taken by `next`, in order. */
  readonly frames: readonly Received[];
  /** Resolves when the connection has closed, from either side. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly open: boolean;
  /** Sends an event frame `{ type, data }`. */
  send(type: string, data?: unknown): void;
  /** Sends a frame as it is: any text, or bytes. */
  raw(frame: string | Uint8Array): void;
  /** Sends a request and resolves with the whole reply frame: `data`, or `error` for a failed reply. */
  request(type: string, data?: unknown): Promise<Frame>;
  /** Takes the next frame (one already received counts) that is of event `type` or passes the test. */
  next(match: string | ((frame: Received) => boolean), timeoutMs?: number): Promise<any>;
  /** Takes the next binary frame. */
  nextBinary(timeoutMs?: number): Promise<Uint8Array>;
  /** Payloads of the events of `type` received and not taken. */
  events(type: string): any[];
  /** Closes with a code, or with a close frame without one (1005) when `code` is undefined. */
  close(code?: number, reason?: string): void;
  /** Drops the link without a close frame (1006). */
  drop(): void;
}

/** Whether `frame` is a JSON frame (not text, not bytes). */
export const isJson = (frame: Received): frame is Frame => typeof frame === "object" && !(frame instanceof Uint8Array);

/** The test `next` applies for `match`: an event type, or a test of its own. */
export function matcher<F extends Received>(match: string | ((frame: F) => boolean)): (frame: F) => boolean {
  return typeof match === "string" ? (frame) => isJson(frame) && frame.type === match : match;
}

/** What `next` reports when nothing matched in time. */
export function noMatch(match: string | ((frame: never) => boolean), timeoutMs: number, frames: readonly unknown[]): Error {
  return new Error(`no frame matching ${typeof match === "string" ? match : "the test"} within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`);
}
