// Run before `npm test`: the Redis tests start their own redis-server. On Debian as root it
// installs Debian's package; anywhere else it says how to get one and stops.
import { ensureDebianPackage } from "./debian-package.mjs";
import { findRedis } from "./redis.mjs";

ensureDebianPackage({ name: "redis-server", find: findRedis, what: "The Redis tests", variable: "REDIS_SERVER" });
