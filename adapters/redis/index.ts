/**
 * A cluster of Bun, Deno and Node processes on Redis: pass `redisCluster`
 * as the `cluster` option of `bunRooms`, `denoRooms` or `nodeRooms`.
 *
 * @module
 */
export { redisCluster, type RedisClusterOptions } from "./cluster.ts";
export { redisStore, type Fence } from "./store.ts";
export { Leases } from "./lease.ts";
export { Mailbox, type MailboxLimits } from "./mailbox.ts";
