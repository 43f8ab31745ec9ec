import { Redis } from "ioredis";
import { Outbox, type ClusterPort, type ConnectionRecord, type Mail } from "../../src/index.ts";
import { Leases } from "./lease.ts";
import { Mailbox } from "./mailbox.ts";
import { redisStore } from "./store.ts";

/** Options of `redisCluster`. */
export interface RedisClusterOptions {
  /** The Redis server every process of the cluster shares, e.g. `redis://10.0.0.5:6379`. */
  url: string;
  /**
   * How long a room's lease (and a process's liveness) lasts without a
   * renewal, ms; both are renewed every third of it. A room whose owner died
   * serves again about this long after the death. Default 3000.
   */
  leaseMs?: number;
  /** This process's id in the cluster (unique per start; no ":"). Default: a random UUID. */
  processId?: string;
}

const aliveKey = (processId: string) => `roomwire:proc:{${processId}}:alive`;
const connsKey = (room: string) => `roomwire:{${room}}:conns`;
const ALARMS = "roomwire:alarms";

/**
 * The cluster's coordination on Redis, for `bunRooms`, `denoRooms` and
 * `nodeRooms` (`cluster` option): room leases, process inboxes on streams,
 * room storage fenced by the leases, and the rooms' connection records.
 * It opens two connections to Redis (one blocks reading the inbox).
 *
 * @example
 * import { redisCluster } from "@roomwire/roomwire/redis";
 * const rooms = bunRooms({ rooms: { chat }, cluster: redisCluster({ url: process.env.REDIS_URL! }) });
 */
export function redisCluster(options: RedisClusterOptions): ClusterPort {
  const leaseMs = options.leaseMs ?? 3000;
  if (!(leaseMs >= 300)) throw new RangeError(`leaseMs must be at least 300 ms; got ${leaseMs}.`);
  const processId = options.processId ?? crypto.randomUUID();
  // Checked before anything connects (the leases check it too).
  if (processId.includes(":")) throw new TypeError(`A process id may not contain ":"; got ${JSON.stringify(processId)}.`);
  const connect = () => {
    const client = new Redis(options.url, { maxRetriesPerRequest: 2 });
    // Connection errors surface on the commands that fail; the events would only repeat them.
    client.on("error", () => {});
    return client;
  };
  const writer = connect();
  const reader = connect();
  const leases = new Leases(writer, processId, leaseMs);
  const store = redisStore(writer, leases.fence);
  let mailbox: Mailbox<Mail> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  // Each batch goes in one round trip.
  const outbox = new Outbox<Mail>(
    (to, mails) => (mailbox ? mailbox.send(to, ...mails) : Promise.reject(new Error("the cluster has not started"))),
    (to, error) => logged(`sending mail to process ${to}`)(error),
  );
  const beat = () => writer.set(aliveKey(processId), "1", "PX", leaseMs);
  const logged = (what: string) => (error: unknown) => console.error(`roomwire: ${what} failed`, error);

  return {
    processId,
    leaseMs,
    store,
    async start(onMail) {
      await beat();
      heartbeat = setInterval(() => void beat().catch(logged("renewing this process's liveness")), leaseMs / 3);
      mailbox = new Mailbox<Mail>(writer, reader, processId, onMail, { idleMs: Math.max(60_000, leaseMs * 4) });
      await mailbox.start();
    },
    async stop() {
      clearInterval(heartbeat);
      await outbox.settled();
      mailbox?.stop();
      await writer.del(aliveKey(processId)).catch(() => {});
      await writer.quit().catch(() => writer.disconnect());
    },
    acquire: async (room) => (await leases.acquire(room)) !== undefined,
    renew: (room) => leases.renew(room),
    release: (room) => leases.release(room),
    holder: (room) => leases.holder(room),
    async alive(processes) {
      if (processes.length === 0) return new Set();
      const found = await writer.mget(...processes.map(aliveKey));
      return new Set(processes.filter((_, i) => found[i] !== null));
    },
    send: (to, mail) => outbox.send(to, mail),
    async connections(room) {
      const records = await writer.hgetall(connsKey(room));
      return Object.values(records).map((text) => JSON.parse(text) as ConnectionRecord);
    },
    saveConnection(room, record) {
      writer.hset(connsKey(room), record.conn, JSON.stringify(record)).catch(logged(`recording a connection of ${room}`));
    },
    dropConnection(room, conn) {
      writer.hdel(connsKey(room), conn).catch(logged(`forgetting a connection of ${room}`));
    },
    dueAlarms: (now) => writer.zrangebyscore(ALARMS, "-inf", now, "LIMIT", 0, 100),
  };
}
