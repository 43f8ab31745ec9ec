import { Buffer } from "node:buffer";
import type { Redis } from "ioredis";
import type { ListRange, LocalStore, StoragePort } from "../../src/index.ts";

/**
 * Room storage and alarms in Redis, for processes that share rooms (the
 * cluster). Each room is a hash of its values and a sorted set of its keys
 * (all of score 0, so `ZRANGEBYLEX` orders them by their UTF-8 bytes, as the
 * storage contract asks); alarms are one sorted set of rooms by time. Keys
 * carry the room in a hash tag, so a room's keys stay on one Redis Cluster
 * slot.
 */

/** Every key of this store starts with it. */
const NAMESPACE = "roomwire";
const dataKey = (room: string) => `${NAMESPACE}:{${room}}:data`;
const keysKey = (room: string) => `${NAMESPACE}:{${room}}:keys`;
const ALARMS = `${NAMESPACE}:alarms`;

/**
 * One turn's writes, atomically (a Lua script runs whole or not at all),
 * and only while `fence` holds: with a lease token, the write lands only if
 * the lease key still holds that token, so an owner that lost its lease
 * cannot overwrite its successor.
 * KEYS: data, keys, lease (or the data key again when unfenced). ARGV: token (or ""), number of puts, puts as key/value pairs, then deletes.
 */
const COMMIT = `
if ARGV[1] ~= "" and redis.call("GET", KEYS[3]) ~= ARGV[1] then
  return redis.error_reply("FENCED this process no longer holds the room's lease")
end
local puts = tonumber(ARGV[2])
local i = 3
for _ = 1, puts do
  redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call("ZADD", KEYS[2], 0, ARGV[i])
  i = i + 2
end
while i <= #ARGV do
  redis.call("HDEL", KEYS[1], ARGV[i])
  redis.call("ZREM", KEYS[2], ARGV[i])
  i = i + 1
end
return 1
`;

/**
 * An ordered range of a room's entries, read at one point in time.
 * KEYS: data, keys. ARGV: min, max (ZRANGEBYLEX bounds), limit (-1 for all), "rev" or "".
 */
const LIST = `
local keys
if ARGV[4] == "rev" then
  keys = redis.call("ZREVRANGEBYLEX", KEYS[2], ARGV[2], ARGV[1], "LIMIT", 0, tonumber(ARGV[3]))
else
  keys = redis.call("ZRANGEBYLEX", KEYS[2], ARGV[1], ARGV[2], "LIMIT", 0, tonumber(ARGV[3]))
end
if #keys == 0 then return {} end
local values = redis.call("HMGET", KEYS[1], unpack(keys))
local out = {}
for i = 1, #keys do
  out[2 * i - 1] = keys[i]
  out[2 * i] = values[i]
end
return out
`;

/** What the store needs of a room's lease: its key, and the token this process holds (undefined: unfenced). */
export type Fence = (room: string) => { key: string; token: string } | undefined;

/**
 * A `LocalStore` on Redis through `ioredis`. `fence` (the cluster's leases)
 * makes every commit conditional on the lease; without it commits are
 * unconditional.
 *
 * @example
 * const store = redisStore(new Redis("redis://127.0.0.1:6379"));
 */
export function redisStore(redis: Redis, fence: Fence = () => undefined): LocalStore {
  return {
    storage: (room) => roomStorage(redis, room, fence),
    async setAlarm(room, at) {
      await redis.zadd(ALARMS, at, room);
    },
    async getAlarm(room) {
      const at = await redis.zscore(ALARMS, room);
      return at === null ? null : Number(at);
    },
    async deleteAlarm(room) {
      await redis.zrem(ALARMS, room);
    },
    async alarms() {
      const flat = await redis.zrange(ALARMS, 0, -1, "WITHSCORES");
      const alarms: { room: string; at: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) alarms.push({ room: flat[i]!, at: Number(flat[i + 1]) });
      return alarms;
    },
  };
}

function roomStorage(redis: Redis, room: string, fence: Fence): StoragePort {
  const data = dataKey(room);
  const keys = keysKey(room);
  return {
    async get(key) {
      return (await redis.hget(data, key)) ?? undefined;
    },
    async list(options) {
      const [min, max] = bounds(options);
      const flat = (await redis.eval(LIST, 2, data, keys, min, max, options.limit ?? -1, options.reverse ? "rev" : "")) as (string | null)[];
      const entries: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) if (flat[i + 1] !== null) entries.push([flat[i]!, flat[i + 1]!]);
      return entries;
    },
    async commit(puts, deletes) {
      const lease = fence(room);
      const args: (string | number)[] = [lease?.token ?? "", puts.length];
      for (const [key, value] of puts) args.push(key, value);
      args.push(...deletes);
      await redis.eval(COMMIT, 3, data, keys, lease?.key ?? data, ...args);
    },
  };
}

/** No UTF-8 string holds the byte 0xFF, so a prefix followed by it bounds every key that starts with the prefix. */
const AFTER_EVERY_CONTINUATION = Buffer.from([0xff]);

/** `ZRANGEBYLEX` bounds for a range: inclusive start (and prefix), exclusive end. */
function bounds(range: ListRange): [Buffer | string, Buffer | string] {
  const lows: string[] = [];
  if (range.prefix !== undefined) lows.push(range.prefix);
  if (range.start !== undefined) lows.push(range.start);
  const low = lows.length === 0 ? undefined : lows.reduce((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)) >= 0 ? a : b));
  const highs: Buffer[] = [];
  if (range.end !== undefined) highs.push(Buffer.from(range.end));
  if (range.prefix !== undefined) highs.push(Buffer.concat([Buffer.from(range.prefix), AFTER_EVERY_CONTINUATION]));
  const high = highs.length === 0 ? undefined : highs.reduce((a, b) => (Buffer.compare(a, b) <= 0 ? a : b));
  return [low === undefined ? "-" : `[${low}`, high === undefined ? "+" : Buffer.concat([Buffer.from("("), high])];
}
