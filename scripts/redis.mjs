import { existsSync } from "node:fs";

/** The redis-server executable: $REDIS_SERVER, or Debian's. */
export function findRedis() {
  const candidates = [process.env.REDIS_SERVER, "/usr/bin/redis-server", "/usr/local/bin/redis-server"].filter(Boolean);
  return candidates.find((path) => existsSync(path));
}
