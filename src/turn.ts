import { LimitError } from "./errors.ts";
import type { ErrorBody } from "./protocol.ts";
import { byteLength } from "./bytes.ts";
import type { HookName } from "./types.ts";

/** One handler or hook waiting for its turn. */
export interface QueuedTurn {
  during: HookName;
  /** The connection whose message or event it handles, for the `error` hook. */
  connection?: unknown;
  task: () => unknown;
  /** Answers the client when the handler throws, or when its commit fails. */
  fail?: (body: ErrorBody) => void;
  /** When the turn is lost to a failed commit, instead of `fail` (a connect closes the socket). */
  lost?: () => void;
  /** Once its writes are durable and its frames sent (no argument), or with the error that lost them. */
  settle?: (error?: unknown) => void;
}

/** Storage writes not yet committed: the JSON text to store under each key, or `null` to delete it. */
export type Writes = Map<string, string | null>;

/**
 * What one turn may write, and so what one commit holds: the most a store
 * commits atomically (Deno KV: 1,000 mutations and 800 KiB per atomic
 * operation; a roomwire key costs it up to three mutations with the key
 * three times over).
 */
export const TURN_BUDGET = {
  /** Keys written or deleted. */
  writes: 128,
  /** UTF-8 bytes: every value written, plus three times every key written or deleted. */
  bytes: 512 * 1024,
} as const;

/** What a key's write costs against `TURN_BUDGET.bytes`. */
export function writeCost(key: string, value: string | null): number {
  return 3 * byteLength(key) + (value === null ? 0 : byteLength(value));
}

/**
 * One handler or hook run: what it wrote (visible to its own reads at once,
 * committed when it returns) and what it sent (held until that commit).
 */
export class Turn {
  readonly writes: Writes = new Map();
  /** Frames and closes, in the order the handler produced them. */
  readonly outputs: (() => void)[] = [];
  /** Bytes of `writes` against the budget. */
  cost = 0;

  constructor(
    /** Whether the queue it belongs to was reset since it started (a commit failed): then it is discarded. */
    readonly epoch: number,
    readonly queued: QueuedTurn,
  ) {}

  /** Its writes are durable and its frames sent (no argument), or they were lost to `error`. */
  settle(error?: unknown): void {
    this.queued.settle?.(error);
  }

  put(key: string, value: string | null): void {
    const before = this.writes.has(key) ? writeCost(key, this.writes.get(key)!) : 0;
    const cost = this.cost - before + writeCost(key, value);
    const writes = this.writes.size + (this.writes.has(key) ? 0 : 1);
    if (writes > TURN_BUDGET.writes || cost > TURN_BUDGET.bytes) {
      throw new LimitError(
        `This handler writes more than one turn may commit at once (${TURN_BUDGET.writes} keys and ${TURN_BUDGET.bytes / 1024} KiB, ` +
          `counting each key three times): it reached ${writes} keys and ${Math.ceil(cost / 1024)} KiB. Nothing it wrote is committed. ` +
          "Split the work over several messages or alarm runs.",
      );
    }
    this.writes.set(key, value);
    this.cost = cost;
  }
}

/**
 * Turns committed together: the writes of every turn that ran while the
 * previous commit was in flight, and their frames, sent once it succeeds.
 */
export class Group {
  readonly writes: Writes = new Map();
  readonly turns: Turn[] = [];
  readonly outputs: (() => void)[] = [];
  cost = 0;
  committing = false;

  constructor(readonly openedAt: number) {}

  /** Whether `turn`'s writes fit beside the group's in one commit. */
  fits(turn: Turn): boolean {
    let writes = this.writes.size;
    let cost = this.cost;
    for (const [key, value] of turn.writes) {
      if (!this.writes.has(key)) writes++;
      else cost -= writeCost(key, this.writes.get(key)!);
      cost += writeCost(key, value);
    }
    return writes <= TURN_BUDGET.writes && cost <= TURN_BUDGET.bytes;
  }

  add(turn: Turn): void {
    for (const [key, value] of turn.writes) {
      if (this.writes.has(key)) this.cost -= writeCost(key, this.writes.get(key)!);
      this.writes.set(key, value);
      this.cost += writeCost(key, value);
    }
    this.join(turn);
  }

  /** A turn that wrote nothing but must not overtake this group: its frames wait for the group's commit. */
  join(turn: Turn): void {
    this.turns.push(turn);
    this.outputs.push(...turn.outputs);
  }
}
