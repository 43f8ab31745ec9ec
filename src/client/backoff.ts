/** Reconnect delays: exponential with full jitter. */
export interface Backoff {
  /** First delay's upper bound, ms. Default 250. */
  minDelay: number;
  /** Largest delay, ms. Default 10,000. */
  maxDelay: number;
  /** Growth per attempt. Default 2. */
  factor: number;
  /** A connection that stays open this long resets the attempts, ms. Default 5,000. */
  resetAfter: number;
}

export const DEFAULT_BACKOFF: Backoff = { minDelay: 250, maxDelay: 10_000, factor: 2, resetAfter: 5_000 };

/**
 * The delay before reconnect attempt `attempt` (1 for the first): a random
 * value between 0 and `min(maxDelay, minDelay × factor^(attempt − 1))`, so
 * clients dropped together do not come back together.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelay, backoff.minDelay * backoff.factor ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
