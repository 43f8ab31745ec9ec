import { Outbox, type ClusterPort, type ConnectionRecord, type Mail } from "../../src/index.ts";
import { KvRooms } from "./kv-storage.ts";

/** Options of `denoKvCluster`. */
export interface DenoKvClusterOptions {
  /**
   * The database every instance shares: `Deno.openKv()` on Deno Deploy, or
   * `Deno.openKv("http://…")` for a KV Connect server (self-hosted `denokv`).
   * Not a local file opened by several processes: they do not see each
   * other's writes through `kv.watch`.
   */
  kv: Deno.Kv | Promise<Deno.Kv>;
  /** As `redisCluster`'s: a room whose owner died serves again about this long after. Default 3000. */
  leaseMs?: number;
  /**
   * How often an instance also reads its inbox without being woken by
   * `kv.watch`, ms: a safety net should a watch stall. Default 1000.
   */
  pollMs?: number;
  /** This instance's id (unique per start; no ":"). Default: a random UUID. */
  processId?: string;
}

const NS = "roomwire";
const leaseKey = (room: string): Deno.KvKey => [NS, "lease", room];
const fenceKey = (room: string): Deno.KvKey => [NS, "fence", room];
const aliveKey = (id: string): Deno.KvKey => [NS, "alive", id];
const bellKey = (id: string): Deno.KvKey => [NS, "bell", id];
const mailPrefix = (id: string): Deno.KvKey => [NS, "mail", id];
const connPrefix = (room: string): Deno.KvKey => [NS, "conn", room];

/** A mail's text is split into parts of at most this many characters (at most 3 UTF-8 bytes each: a KV value holds 64 KiB). */
const PART_CHARS = 16 * 1024;
/** Mutations per atomic operation when mail is sent or read (Deno KV allows 1000). */
const BATCH = 200;
/** Characters of mail per atomic operation: 3 bytes each stays under Deno KV's 800 KiB a commit. */
const BATCH_CHARS = 200 * 1024;
/** Unread mail expires after this long (its reader died), ms. */
const MAIL_TTL_MS = 60_000;

interface Lease {
  token: string;
  expiresAt: number;
}

/**
 * The cluster's coordination on Deno KV, for `denoRooms` on Deno Deploy (or
 * Deno processes sharing one database):
 * - leases: `[roomwire, lease, room]` with `expireIn`, taken and renewed with
 *   `atomic().check()`;
 * - fenced commits: each turn's writes are one atomic operation that also
 *   checks `[roomwire, fence, room]`, which only a new owner rewrites;
 * - inboxes: mail under `[roomwire, mail, to, from, n, part]`, in each
 *   sender's order, with a doorbell key the reader watches with `kv.watch`;
 *   a wake-up reads the whole inbox, so changes a watch coalesces are not
 *   missed (and every `pollMs` it reads anyway);
 * - liveness, connection records and alarms in the same database.
 * No KV queue and no BroadcastChannel is used.
 *
 * @example
 * const rooms = denoRooms({ rooms: { chat }, cluster: denoKvCluster({ kv: await Deno.openKv() }) });
 */
export function denoKvCluster(options: DenoKvClusterOptions): ClusterPort {
  const leaseMs = options.leaseMs ?? 3000;
  if (!(leaseMs >= 300)) throw new RangeError(`leaseMs must be at least 300 ms; got ${leaseMs}.`);
  const pollMs = options.pollMs ?? 1000;
  const processId = options.processId ?? crypto.randomUUID();
  if (processId.includes(":")) throw new TypeError(`A process id may not contain ":"; got ${JSON.stringify(processId)}.`);
  /** The lease token and the fence key's versionstamp of each room this instance holds. */
  const held = new Map<string, { token: string; fence: string }>();
  const rooms = new KvRooms({
    kv: options.kv,
    // A versionstamp no fence ever has: without the lease, nothing lands.
    fence: (room) => ({ key: fenceKey(room), versionstamp: held.get(room)?.fence ?? "00000000000000000000" }),
  });
  const database = rooms.kv;
  const logged = (what: string) => (error: unknown) => console.error(`roomwire: ${what} failed`, error);
  let stopped = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  let watcher: ReadableStream<Deno.KvEntryMaybe<unknown>[]> | undefined;
  let deliver: (mail: Mail) => void = () => {};
  let sequence = 0;
  /** The last mail number delivered from each sender. */
  const delivered = new Map<string, number>();

  let reading: Promise<void> | undefined;
  /** Connection records are written one after another, so a record's last write wins. */
  let records: Promise<void> = Promise.resolve();
  let readAgain = false;

  const beat = async () => {
    const kv = await database;
    await kv.set(aliveKey(processId), { expiresAt: Date.now() + leaseMs }, { expireIn: leaseMs });
  };

  /** Reads this instance's inbox: every sender's mail in its order, then deletes what it read. */
  const read = (): Promise<void> => {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      do {
        readAgain = false;
        const kv = await database;
        const parts = new Map<string, { sender: string; n: number; stored: string; texts: string[] }>();
        const keys: Deno.KvKey[] = [];
        for await (const entry of kv.list<string>({ prefix: mailPrefix(processId) })) {
          const [, , , sender, n, part] = entry.key as [string, string, string, string, number, number];
          keys.push(entry.key);
          const id = `${sender}\u0000${n}`;
          let mail = parts.get(id);
          if (!mail) parts.set(id, (mail = { sender, n, stored: entry.versionstamp, texts: [] }));
          mail.texts[part] = entry.value;
        }
        // In the order the mail was stored (versionstamps follow commits), then as numbered within one commit:
        // each sender's mail in its order, and mail stored before other mail was sent comes first.
        const ordered = [...parts.values()].sort((a, b) => (a.stored < b.stored ? -1 : a.stored > b.stored ? 1 : a.n - b.n));
        for (const { sender, n, texts } of ordered) {
          if (n <= (delivered.get(sender) ?? -1)) continue;
          delivered.set(sender, n);
          try {
            deliver(JSON.parse(texts.join("")) as Mail);
          } catch (error) {
            console.error("roomwire: a mail could not be read", error);
          }
        }
        for (let i = 0; i < keys.length; i += BATCH) {
          const op = kv.atomic();
          for (const key of keys.slice(i, i + BATCH)) op.delete(key);
          await op.commit();
        }
      } while (readAgain && !stopped);
    })().finally(() => (reading = undefined));
    return reading;
  };

  /** Appends a batch of mail to `to`'s inbox, in atomic operations of at most BATCH parts, then rings its bell. */
  const post = async (to: string, mails: Mail[]) => {
    const kv = await database;
    let op = kv.atomic();
    let size = 0;
    let chars = 0;
    const flush = async () => {
      if (size === 0) return;
      op.set(bellKey(to), `${processId}:${sequence}`);
      const result = await op.commit();
      if (!result.ok) throw new Error(`Deno KV did not store mail for process ${to}.`);
      op = kv.atomic();
      size = chars = 0;
    };
    for (const mail of mails) {
      const text = JSON.stringify(mail);
      const count = Math.max(1, Math.ceil(text.length / PART_CHARS));
      // A mail is never split across commits: its reader sees all of its parts or none.
      if (size + count > BATCH || chars + text.length > BATCH_CHARS) await flush();
      const n = sequence++;
      for (let part = 0; part < count; part++) {
        op.set([...mailPrefix(to), processId, n, part], text.slice(part * PART_CHARS, (part + 1) * PART_CHARS), { expireIn: MAIL_TTL_MS });
      }
      size += count;
      chars += text.length;
    }
    await flush();
  };

  const getLease = async (room: string) => (await database).get<Lease>(leaseKey(room));
  const live = (lease: Lease | null) => lease !== null && lease.expiresAt > Date.now();

  // One batch at a time to each instance, so its mail lands in order.
  const outbox = new Outbox<Mail>(post, (to, error) => logged(`sending mail to process ${to}`)(error));

  return {
    processId,
    leaseMs,
    store: rooms,
    async start(onMail) {
      deliver = onMail;
      await beat();
      heartbeat = setInterval(() => void beat().catch(logged("renewing this instance's liveness")), leaseMs / 3);
      poller = setInterval(() => void read().catch(logged("reading this instance's inbox")), pollMs);
      const kv = await database;
      watcher = kv.watch([bellKey(processId)]);
      void (async () => {
        try {
          for await (const _ of watcher!) {
            if (stopped) break;
            void read().catch(logged("reading this instance's inbox"));
          }
        } catch (error) {
          if (!stopped) logged("watching this instance's inbox")(error);
        }
      })();
    },
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      clearInterval(poller);
      await watcher?.cancel().catch(() => {});
      await outbox.settled();
      const kv = await database;
      await kv.delete(aliveKey(processId)).catch(() => {});
      await rooms.close();
    },
    async acquire(room) {
      const kv = await database;
      const [lease, fence] = await kv.getMany<[Lease, string]>([leaseKey(room), fenceKey(room)]);
      if (live(lease!.value)) return false;
      const token = `${processId}:${crypto.randomUUID()}`;
      const result = await kv
        .atomic()
        .check(lease!)
        .check(fence!)
        .set(leaseKey(room), { token, expiresAt: Date.now() + leaseMs } satisfies Lease, { expireIn: leaseMs })
        .set(fenceKey(room), token)
        .commit();
      if (!result.ok) return false;
      // The fence key was written by this very operation: its versionstamp is the operation's.
      held.set(room, { token, fence: result.versionstamp });
      return true;
    },
    async renew(room) {
      const mine = held.get(room);
      if (!mine) return false;
      const kv = await database;
      const lease = await getLease(room);
      const result =
        lease.value?.token === mine.token &&
        (await kv.atomic().check(lease).set(leaseKey(room), { token: mine.token, expiresAt: Date.now() + leaseMs } satisfies Lease, { expireIn: leaseMs }).commit()).ok;
      if (!result) held.delete(room);
      return result;
    },
    async release(room) {
      const mine = held.get(room);
      held.delete(room);
      if (!mine) return;
      const kv = await database;
      const lease = await getLease(room);
      if (lease.value?.token === mine.token) await kv.atomic().check(lease).delete(leaseKey(room)).commit();
    },
    async holder(room) {
      const lease = (await getLease(room)).value;
      return live(lease) ? lease!.token.slice(0, lease!.token.indexOf(":")) : null;
    },
    async alive(processes) {
      const kv = await database;
      const found = new Set<string>();
      // getMany reads at most 10 keys.
      for (let i = 0; i < processes.length; i += 10) {
        const batch = processes.slice(i, i + 10);
        const entries = await kv.getMany<{ expiresAt: number }[]>(batch.map(aliveKey));
        entries.forEach((entry, j) => entry.value && entry.value.expiresAt > Date.now() && found.add(batch[j]!));
      }
      return found;
    },
    send: (to, mail) => outbox.send(to, mail),
    async connections(room) {
      const kv = await database;
      const records: ConnectionRecord[] = [];
      for await (const entry of kv.list<ConnectionRecord>({ prefix: connPrefix(room) })) records.push(entry.value);
      return records;
    },
    saveConnection(room, record) {
      records = records.then(async () => void (await (await database).set([...connPrefix(room), record.conn], record))).catch(logged(`recording a connection of ${room}`));
    },
    dropConnection(room, conn) {
      records = records.then(async () => (await database).delete([...connPrefix(room), conn])).catch(logged(`forgetting a connection of ${room}`));
    },
    async dueAlarms(now) {
      return (await rooms.alarms()).filter(({ at }) => at <= now).map(({ room }) => room);
    },
  };
}
