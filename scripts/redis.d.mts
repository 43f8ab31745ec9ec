/** The redis-server executable: $REDIS_SERVER, or Debian's; undefined when there is none. */
export function findRedis(): string | undefined;
