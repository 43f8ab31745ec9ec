import type { Redis } from "ioredis";
import type { Fence } from "./store.ts";

/**
 * One owner per room among processes sharing Redis: a room's owner holds a
 * lease, a key with a time to live whose value is the owner's token. The
 * owner renews it while the room is live; when the owner dies the key
 * expires and the next process takes it. Commits are fenced by the token
 * (see `redisStore`), so an owner that paused past its lease cannot write
 * over its successor.
 */

const leaseKey = (room: string) => `roomwire:{${room}}:lease`;

/** Renews only a lease this token still holds. */
const RENEW = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0
`;

/** Gives up only a lease this token still holds. */
const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
`;

/** The leases one process holds, and how it takes, renews and gives them up. */
export class Leases {
  /** Tokens of the leases this process believes it holds, by room. */
  private readonly held = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    /** This process's id, the first part of each token (so a lease names its holder). */
    readonly processId: string,
    /** How long a lease lasts without a renewal, ms. */
    readonly ttlMs: number,
  ) {
    if (processId.includes(":")) throw new TypeError(`A process id may not contain ":"; got ${JSON.stringify(processId)}.`);
  }

  /** Takes the room's lease if no process holds it: its token, or undefined when another process does. */
  async acquire(room: string): Promise<string | undefined> {
    const token = `${this.processId}:${crypto.randomUUID()}`;
    const taken = await this.redis.set(leaseKey(room), token, "PX", this.ttlMs, "NX");
    if (taken !== "OK") return undefined;
    this.held.set(room, token);
    return token;
  }

  /** Extends a lease this process holds; false (and forgotten) when it was lost, to expiry or to another process. */
  async renew(room: string): Promise<boolean> {
    const token = this.held.get(room);
    if (token === undefined) return false;
    const renewed = (await this.redis.eval(RENEW, 1, leaseKey(room), token, this.ttlMs)) === 1;
    if (!renewed) this.held.delete(room);
    return renewed;
  }

  /** Gives a lease up (the room goes idle here, or the process stops), so another process may take it at once. */
  async release(room: string): Promise<void> {
    const token = this.held.get(room);
    this.held.delete(room);
    if (token !== undefined) await this.redis.eval(RELEASE, 1, leaseKey(room), token);
  }

  /** The process holding the room's lease, or null when none does. */
  async holder(room: string): Promise<string | null> {
    const token = await this.redis.get(leaseKey(room));
    return token === null ? null : token.slice(0, token.indexOf(":"));
  }

  /** The fence of this process's commits: the lease it holds for a room, or, when it holds none, a token no lease ever has (so nothing lands). */
  readonly fence: Fence = (room) => ({ key: leaseKey(room), token: this.held.get(room) ?? "none" });
}
