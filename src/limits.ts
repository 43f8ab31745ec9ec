import type { RateLimit } from "./rate-limit.ts";

export type { RateLimit };

/**
 * What a connection may make the server hold for it on the way out: frames
 * queued for its socket but not yet sent (a client that stops reading).
 */
export interface OutboundLimit {
  /**
   * Most bytes queued for one connection. A queue that stays over it for
   * `patienceMs`, or passes four times it, closes the connection with 1013
   * ("slow consumer") at the next frame. Default 4 MiB.
   */
  maxQueuedBytes: number;
  /** How long a queue may stay over `maxQueuedBytes` (a burst the room sent itself drains within it). Default 1,000 ms. */
  patienceMs: number;
  /** Requests that arrive while more than this is queued are answered `rate_limited` without running their reply handler. Default 1 MiB. */
  pauseRequestsAt: number;
  /**
   * Where the runtime does not report what is queued (Cloudflare's workerd),
   * roomwire estimates it, assuming the client reads at least this many bytes
   * per second. Default 256 KiB/s.
   */
  assumedReadRate: number;
}

/** Limits of a room type. Every runtime enforces them the same way, in the core. */
export interface RoomLimits {
  /** Largest frame accepted, in bytes; larger frames close the connection with 1009. Default 1 MiB. */
  maxMessageBytes: number;
  /** Rate limit per connection, or `false` for none. Default 100 frames, 50/s, closed after 3 s of flooding. */
  rateLimit: RateLimit | false;
  /** Most open connections in one room; one more is refused with close code 1013. Default 10,000. */
  maxConnections: number;
  /** The outbound bound per connection (above), or `false` for none. */
  outbound: OutboundLimit | false;
  /**
   * Most client messages waiting for the room's handlers to get to them (handlers run one at a
   * time; a handler that awaits storage holds up the ones behind it). One more is answered
   * `rate_limited` without running. Default 1,000.
   */
  maxQueuedMessages: number;
  /** The same bound for one connection's messages, so one client cannot fill the room's queue. Default 100. */
  maxQueuedPerConnection: number;
}

/** `limits` as a room definition gives them: any subset, `outbound` too. */
export type RoomLimitsInput = Partial<Omit<RoomLimits, "outbound">> & { outbound?: Partial<OutboundLimit> | false };

export const DEFAULT_LIMITS: RoomLimits = {
  maxMessageBytes: 1024 * 1024,
  rateLimit: { burst: 100, perSecond: 50, closeAfterMs: 3000 },
  maxConnections: 10_000,
  maxQueuedMessages: 1_000,
  maxQueuedPerConnection: 100,
  outbound: { maxQueuedBytes: 4 * 1024 * 1024, patienceMs: 1000, pauseRequestsAt: 1024 * 1024, assumedReadRate: 256 * 1024 },
};

/** The serialised size allowed for a connection's data plus roomwire's own fields (the Durable Object attachment limit). */
export const CONNECTION_DATA_BUDGET = 16 * 1024;

/** Fills in the defaults of a partial `limits` object. */
export function resolveLimits(limits: RoomLimitsInput | undefined): RoomLimits {
  const outbound = limits?.outbound === false ? false : { ...(DEFAULT_LIMITS.outbound as OutboundLimit), ...limits?.outbound };
  return { ...DEFAULT_LIMITS, ...limits, outbound };
}
