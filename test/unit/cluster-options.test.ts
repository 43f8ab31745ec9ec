import { describe, expect, it } from "vitest";
import { redisCluster } from "../../adapters/redis/index.ts";
import { Leases } from "../../adapters/redis/lease.ts";

/** A cluster's options are checked before anything connects, with a message that says what to pass instead. */
describe("cluster options", () => {
  it("refuses a lease shorter than 300 ms", () => {
    expect(() => redisCluster({ url: "redis://127.0.0.1:1", leaseMs: 100 })).toThrow(/leaseMs must be at least 300 ms; got 100/);
    expect(() => redisCluster({ url: "redis://127.0.0.1:1", leaseMs: Number.NaN })).toThrow(RangeError);
  });

  it("refuses a process id with a colon, which would break the lease tokens", () => {
    expect(() => redisCluster({ url: "redis://127.0.0.1:1", processId: "a:b" })).toThrow(/A process id may not contain ":"; got "a:b"/);
    expect(() => new Leases({} as never, "a:b", 1000)).toThrow(TypeError);
  });
});
