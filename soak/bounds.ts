/**
 * The most the server's RSS may grow (peak minus before, MiB) under the quick
 * paused-reader and amplification attacks (3 s; test/soak/soak.test.ts).
 * With the outbound bound, ten paused readers added at most 142 MiB (Deno,
 * whose heap collects late); without it they add 225–490 MiB in those 3 s.
 */
export const PAUSED_RSS_GROWTH_MIB = 200;
