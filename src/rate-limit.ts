/** Per-connection token bucket: `burst` frames at once, refilled at `perSecond`. */
export interface RateLimit {
  burst: number;
  perSecond: number;
  /** A connection that keeps exceeding the limit this long is closed with 1008. */
  closeAfterMs: number;
}

/** What the bucket says about one frame. */
export type RateVerdict = "ok" | "drop" | "drop-and-warn" | "close";

/**
 * Token bucket with flood tracking. A flood starts with the first dropped
 * frame and ends after a full second with no drop; the client is warned once
 * per flood, and closed when a flood lasts `closeAfterMs`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private floodStart = -1;
  private lastDrop = -1;

  constructor(private readonly limit: RateLimit, now: number) {
    this.tokens = limit.burst;
    this.last = now;
  }

  take(now: number): RateVerdict {
    const { burst, perSecond, closeAfterMs } = this.limit;
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) * perSecond) / 1000);
    this.last = now;
    if (this.floodStart >= 0 && now - this.lastDrop >= 1000) this.floodStart = -1;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return "ok";
    }
    this.lastDrop = now;
    if (this.floodStart < 0) {
      this.floodStart = now;
      return "drop-and-warn";
    }
    return now - this.floodStart >= closeAfterMs ? "close" : "drop";
  }
}

/**
 * The rate limit of one room's connections: a bucket per connection, which
 * starts full (a rebuilt room forgives, it never punishes twice).
 */
export class RateLimiter<S> {
  private readonly buckets = new Map<S, TokenBucket>();

  constructor(
    readonly limit: RateLimit | false,
    private readonly now: () => number,
  ) {}

  /** What to do with the next frame of `socket`. */
  take(socket: S): RateVerdict {
    if (!this.limit) return "ok";
    let bucket = this.buckets.get(socket);
    if (!bucket) this.buckets.set(socket, (bucket = new TokenBucket(this.limit, this.now())));
    return bucket.take(this.now());
  }

  /** The connection ended. */
  forget(socket: S): void {
    this.buckets.delete(socket);
  }
}

/** The `rate_limited` warning a flooding connection gets once per flood. */
export function floodMessage(limit: RateLimit): string {
  return `Too many frames: the limit is ${limit.burst} at once and ${limit.perSecond} per second. Frames are dropped until you slow down.`;
}
