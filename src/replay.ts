import type { StagedStorage } from "./staged-storage.ts";

import { numberedFrame } from "./protocol.ts";
import type { ResumeOptions } from "./types.ts";

export const DEFAULT_RESUME: Required<ResumeOptions> = { events: 1000, maxAgeMs: 5 * 60_000 };

/** Storage keys under this prefix are roomwire's own. */
export const INTERNAL_PREFIX = "_roomwire/";
const SEQ_KEY = `${INTERNAL_PREFIX}seq`;
const LOG_PREFIX = `${INTERNAL_PREFIX}log/`;
const logKey = (seq: number) => `${LOG_PREFIX}${String(seq).padStart(16, "0")}`;

interface Entry {
  frame: string;
  at: number;
}

/**
 * The room's sequence of broadcast events and a bounded log of the latest,
 * in room storage, so a client that reconnects (even after a hibernation or
 * a restart) gets exactly what it missed, or learns that it must resync.
 */
export class ReplayLog {
  private seq = 0;
  private readonly bounds: Required<ResumeOptions>;

  constructor(
    private readonly storage: StagedStorage,
    options: ResumeOptions,
    private readonly now: () => number,
  ) {
    this.bounds = { ...DEFAULT_RESUME, ...options };
  }

  /** Reads the room's sequence number; runs before any event of a new room instance. */
  async load(): Promise<void> {
    const stored = await this.storage.get(SEQ_KEY);
    this.seq = stored === undefined ? 0 : (JSON.parse(stored) as number);
  }

  get current(): number {
    return this.seq;
  }

  /** Numbers a broadcast and logs it, in the running turn (so they commit with what the handler wrote); returns the frame. */
  stamp(type: string, data: unknown): string {
    const seq = ++this.seq;
    const frame = numberedFrame(type, data, seq);
    const entry: Entry = { frame, at: this.now() };
    this.storage.put(logKey(seq), JSON.stringify(entry));
    this.storage.put(SEQ_KEY, String(seq));
    if (seq > this.bounds.events) void this.storage.delete(logKey(seq - this.bounds.events));
    return frame;
  }

  /** The frames after `since`, oldest first, or `undefined` when the log no longer reaches back that far. */
  async since(since: number): Promise<string[] | undefined> {
    if (!Number.isInteger(since) || since < 0 || since > this.seq) return undefined;
    if (since === this.seq) return [];
    const entries = await this.storage.list({ start: logKey(since + 1), end: logKey(this.seq + 1) });
    if (entries.length !== this.seq - since) return undefined;
    const oldest = this.now() - this.bounds.maxAgeMs;
    const frames: string[] = [];
    for (const [, json] of entries) {
      const entry = JSON.parse(json) as Entry;
      if (entry.at < oldest) return undefined;
      frames.push(entry.frame);
    }
    return frames;
  }
}
