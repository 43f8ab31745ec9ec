import type { OutboundLimit } from "./limits.ts";
import type { SocketPort } from "./ports.ts";
import { CloseCode } from "./protocol.ts";
import type { SendStatus } from "./types.ts";

/** The reason a slow consumer is closed with (1013). */
export const SLOW_CONSUMER = "slow consumer";

/** What the core knows of a socket's outgoing queue when the runtime does not say. */
interface Estimate {
  bytes: number;
  at: number;
}

/** A connection whose requests have been refused for unread data this long is closed as a slow consumer. */
export const REFUSED_REQUESTS_CLOSE_MS = 5000;

/** Refusals are forgotten once the queue falls under this fraction of `pauseRequestsAt`. */
export const FORGIVE_BELOW = 0.25;

/** Over this many times `maxQueuedBytes`, a connection is closed at once, whatever its patience. */
export const HARD_QUEUE_FACTOR = 4;

/**
 * Every frame the core sends goes through here, so what a connection may make
 * the server hold on its way out is bounded the same on every runtime. A queue
 * over `maxQueuedBytes` that stays over it for `patienceMs` (a burst the room
 * sent itself drains within it; a client that stopped reading does not), or
 * that passes `HARD_QUEUE_FACTOR` times the bound, closes the connection with
 * 1013 instead of growing: a frame is never dropped silently.
 */
export class Outbound<S extends object> {
  private readonly estimates = new WeakMap<S, Estimate>();
  /** When each socket's requests started being refused, until one is allowed again. */
  private readonly refusedSince = new WeakMap<S, number>();
  /** When each socket's queue was first seen over the bound, until it is seen under it again. */
  private readonly overSince = new WeakMap<S, number>();

  constructor(
    private readonly sockets: SocketPort<S>,
    private readonly limit: OutboundLimit | false,
    private readonly now: () => number,
    /** Closes a slow consumer (the engine's close, which runs the `close` hook once). */
    private readonly close: (socket: S, code: number, reason: string) => void,
  ) {}

  /** Sends `frame` unless the socket is over its bound, in which case it is closed. */
  send(socket: S, frame: string | Uint8Array): SendStatus {
    if (!this.limit) return this.sockets.send(socket, frame);
    if (this.slow(socket, this.limit)) {
      this.close(socket, CloseCode.tryLater, SLOW_CONSUMER);
      return "dropped";
    }
    const status = this.sockets.send(socket, frame);
    if (!this.sockets.buffered && status !== "dropped") this.grow(socket, typeof frame === "string" ? frame.length : frame.byteLength);
    return status;
  }

  /**
   * Whether a request from `socket` may run now: "refused" while its queue is
   * over `pauseRequestsAt` (answer it `rate_limited`), "closed" when requests
   * have been refused for `REFUSED_REQUESTS_CLOSE_MS`: a client that keeps
   * asking without reading the answers is a slow consumer.
   */
  mayReply(socket: S): "ok" | "refused" | "closed" {
    if (!this.limit) return "ok";
    const queued = this.queued(socket);
    // Forgiven only once the queue has drained well below the mark: a client that lets one
    // reply through now and then, and never reads, is still refused for the whole time.
    if (queued <= this.limit.pauseRequestsAt * FORGIVE_BELOW) this.refusedSince.delete(socket);
    if (queued <= this.limit.pauseRequestsAt) return "ok";
    const now = this.now();
    let since = this.refusedSince.get(socket);
    if (since === undefined) this.refusedSince.set(socket, (since = now));
    if (now - since < REFUSED_REQUESTS_CLOSE_MS) return "refused";
    this.close(socket, CloseCode.tryLater, SLOW_CONSUMER);
    return "closed";
  }

  /** How many bytes are queued for `socket`, as the runtime reports or the core estimates. */
  queued(socket: S): number {
    if (this.sockets.buffered) return this.sockets.buffered(socket);
    const estimate = this.estimates.get(socket);
    if (!estimate || !this.limit) return 0;
    return Math.max(0, estimate.bytes - ((this.now() - estimate.at) * this.limit.assumedReadRate) / 1000);
  }

  /** After a native fan-out reported a backed-up socket: close every socket of `sockets` over its bound. */
  sweep(sockets: Iterable<S>): void {
    if (!this.limit) return;
    const over: S[] = [];
    for (const socket of sockets) if (this.slow(socket, this.limit)) over.push(socket);
    for (const socket of over) this.close(socket, CloseCode.tryLater, SLOW_CONSUMER);
  }

  /** Over the hard bound, or over the bound for longer than the limit's patience. */
  private slow(socket: S, limit: OutboundLimit): boolean {
    const queued = this.queued(socket);
    if (queued <= limit.maxQueuedBytes) {
      this.overSince.delete(socket);
      return false;
    }
    if (queued > HARD_QUEUE_FACTOR * limit.maxQueuedBytes) return true;
    const now = this.now();
    let since = this.overSince.get(socket);
    if (since === undefined) this.overSince.set(socket, (since = now));
    return now - since >= limit.patienceMs;
  }

  private grow(socket: S, bytes: number): void {
    const queued = this.queued(socket);
    this.estimates.set(socket, { bytes: queued + bytes, at: this.now() });
  }
}
