import type { Redis } from "ioredis";

/**
 * A process's inbox in Redis: a stream other processes append to (in the
 * order each sends) and only this process reads. It carries what a cluster
 * forwards between processes: a socket's open, frames and close to a room's
 * owner, and the owner's frames back. A stream no one reads (its process
 * died) is capped and expires.
 */

const inboxKey = (processId: string) => `roomwire:proc:{${processId}}:inbox`;

/** Bounds of an inbox nobody reads. */
export interface MailboxLimits {
  /** Most entries kept (approximately: Redis trims whole nodes). Default 100,000. */
  maxEntries?: number;
  /** An inbox expires this long after its last message, ms. Default 60,000. */
  idleMs?: number;
}

/** A process's inbox: `send` to any process, `onMail` for what arrives here, in order per sender. */
export class Mailbox<Mail> {
  private lastId = "$";
  private running = false;
  private readonly maxEntries: number;
  private readonly idleMs: number;

  constructor(
    /** For sending; any connection. */
    private readonly writer: Redis,
    /** For reading: a connection of its own, since a blocking read holds it. */
    private readonly reader: Redis,
    readonly processId: string,
    private readonly onMail: (mail: Mail) => void,
    limits: MailboxLimits = {},
  ) {
    this.maxEntries = limits.maxEntries ?? 100_000;
    this.idleMs = limits.idleMs ?? 60_000;
  }

  /** Starts reading: mail sent from now on arrives, in the order each sender sent it. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Mail sent before the start is not for this life of the process.
    const last = (await this.writer.xrevrange(inboxKey(this.processId), "+", "-", "COUNT", 1))[0];
    this.lastId = last ? last[0] : "0-0";
    void this.loop();
  }

  /** Appends `mails` to the inbox of process `to`, in order, in one round trip. */
  async send(to: string, ...mails: Mail[]): Promise<void> {
    if (mails.length === 0) return;
    const key = inboxKey(to);
    const pipeline = this.writer.pipeline();
    for (const mail of mails) pipeline.xadd(key, "MAXLEN", "~", this.maxEntries, "*", "m", JSON.stringify(mail));
    pipeline.pexpire(key, this.idleMs);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  /** Stops reading (the blocking read in flight ends with the reader's connection). */
  stop(): void {
    this.running = false;
    this.reader.disconnect();
  }

  private async loop(): Promise<void> {
    const key = inboxKey(this.processId);
    while (this.running) {
      let batch: [string, [string, string[]][]][] | null;
      try {
        batch = (await this.reader.xread("COUNT", 1000, "BLOCK", 1000, "STREAMS", key, this.lastId)) as typeof batch;
      } catch (error) {
        if (!this.running) return;
        console.error(`roomwire: reading the inbox of ${this.processId} failed; retrying`, error);
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      for (const [, entries] of batch ?? []) {
        for (const [id, fields] of entries) {
          this.lastId = id;
          const text = fields[fields.indexOf("m") + 1];
          if (text !== undefined) this.onMail(JSON.parse(text) as Mail);
        }
      }
    }
  }
}
