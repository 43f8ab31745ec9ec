/**
 * Server-side closes that wait for a pause in what the peer sends.
 *
 * Deno (2.9) writes the close frame from a deferred op, one event-loop turn
 * after `close()`; if a frame from the peer is read before that, its event
 * loop sees the socket closing and drops the connection, the close frame is
 * never written, and the peer sees 1006 instead of the code (a client that
 * floods until it is closed with 1008, for one). So a close waits until the
 * peer has been quiet for `quietMs` (the engine ignores the frames that still
 * arrive), for at most `maxWaitMs`. This narrows the race; only Deno can close it.
 */
export class CloseSoon {
  private readonly pending = new WeakMap<WebSocket, { close: () => void; timer: ReturnType<typeof setTimeout>; until: number }>();

  constructor(
    private readonly quietMs = 2,
    private readonly maxWaitMs = 1_000,
  ) {}

  /** Closes `ws` with `code` and `reason` once the peer pauses. */
  close(ws: WebSocket, code?: number, reason?: string): void {
    const close = () => {
      this.pending.delete(ws);
      ws.close(code, reason);
    };
    this.pending.set(ws, { close, timer: setTimeout(close, this.quietMs), until: Date.now() + this.maxWaitMs });
  }

  /** A frame arrived on `ws`: if it is closing, start its quiet time again, unless it has waited long enough. */
  frameArrived(ws: WebSocket): void {
    const pending = this.pending.get(ws);
    if (!pending || Date.now() >= pending.until) return;
    clearTimeout(pending.timer);
    pending.timer = setTimeout(pending.close, this.quietMs);
  }

  /** Whether `ws` is waiting to close: nothing more should be sent to it. */
  has(ws: WebSocket): boolean {
    return this.pending.has(ws);
  }

}
