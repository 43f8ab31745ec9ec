import type { StoragePort } from "./ports.ts";
import type { ErrorBody } from "./protocol.ts";
import { StagedStorage } from "./staged-storage.ts";
import { Group, Turn, type QueuedTurn } from "./turn.ts";

/** What the queue asks of the room. */
export interface TurnHooks {
  /** A handler threw: answer with `fail` and report it. */
  threw(turn: QueuedTurn, error: unknown): void;
  /** A commit failed: report it to the room's `error` hook. */
  commitFailed(error: unknown): void;
  /** After a failed commit: the first task of the next turn, which reloads what the room keeps in memory. */
  reload(): (() => unknown) | undefined;
}

/** A group stops taking turns this long after its first one, so a slow commit holds no frame for long. */
export const GROUP_MS = 25;
/** Groups of turns waiting to commit (the one in flight included) before the queue waits for one to land. */
export const MAX_GROUPS = 3;

const LOST: ErrorBody = { code: "internal", message: "The room could not store what this message changed, so nothing of it happened. Send it again." };

/**
 * The room's turns: handlers run one at a time, in arrival order. What a turn
 * writes commits atomically when it returns, and what it sends leaves only
 * after that commit. While one commit is in flight, the next turns run on the
 * state it will leave and join the next commit (group commit): their frames
 * wait for it, and a failure discards every turn of the group and those after.
 */
export class TurnQueue {
  private readonly queue: QueuedTurn[] = [];
  private readonly groups: Group[] = [];
  private current: Turn | undefined;
  /** A turn is running, or the queue is being drained: `enqueue` only queues. */
  private running = false;
  /** Raised by a failed commit: turns started before it are discarded. */
  private epoch = 0;
  private idlers: (() => void)[] = [];
  readonly storage: StagedStorage;

  constructor(
    private readonly store: StoragePort,
    private readonly now: () => number,
    private readonly hooks: TurnHooks,
  ) {
    this.storage = new StagedStorage(
      store,
      () => {
        const layers = this.groups.map((group) => group.writes);
        if (this.current) layers.push(this.current.writes);
        return layers;
      },
      () => {
        if (!this.current) throw new Error("room.storage was written after its handler returned: await every storage call inside the handler.");
        return this.current;
      },
    );
  }

  /** Turns waiting to run (not the one running). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Whether a turn is running or waiting: a new one would not run at once. */
  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  /** Queues a turn; on an idle room a synchronous handler runs at once, before this returns. */
  enqueue(turn: QueuedTurn): void {
    this.queue.push(turn);
    if (!this.running) this.drain();
  }

  /**
   * Sends now, or later in order: into the running turn (sent after its
   * commit), else after the commits in flight, else at once.
   */
  output(deliver: () => void): void {
    if (this.current) this.current.outputs.push(deliver);
    else this.afterCommits(deliver);
  }

  /** Runs `send` as if no turn were running: what it outputs is not part of the running turn (nor lost with it). */
  outside(send: () => void): void {
    const running = this.current;
    this.current = undefined;
    try {
      send();
    } finally {
      this.current = running;
    }
  }

  /** Resolves once no turn runs or waits and every commit has landed. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idlers.push(resolve));
  }

  private afterCommits(deliver: () => void): void {
    const tail = this.groups.at(-1);
    if (tail) tail.outputs.push(deliver);
    else deliver();
  }

  private isIdle(): boolean {
    return !this.running && this.queue.length === 0 && this.groups.length === 0;
  }

  private drain(): void {
    this.running = true;
    while (this.queue.length > 0 && this.groups.length < MAX_GROUPS) {
      const result = this.run(this.queue.shift()!);
      if (result) {
        result.then(() => this.drain());
        return;
      }
    }
    this.running = false;
    this.checkIdle();
  }

  /** Runs one turn; returns a promise when its handler is asynchronous. */
  private run(queued: QueuedTurn): Promise<void> | undefined {
    const turn = new Turn(this.epoch, queued);
    this.current = turn;
    let result: unknown;
    try {
      result = queued.task();
    } catch (error) {
      this.end(turn, queued, error);
      return undefined;
    }
    if (!isPromise(result)) {
      this.end(turn, queued);
      return undefined;
    }
    return result.then(
      () => this.end(turn, queued),
      (error) => this.end(turn, queued, error),
    );
  }

  private end(turn: Turn, queued: QueuedTurn, ...thrown: [unknown?]): void {
    this.current = undefined;
    if (thrown.length > 0) {
      // Nothing of a turn that threw is committed or sent, except the answer to its failure.
      this.hooks.threw(queued, thrown[0]);
      turn.settle();
      return;
    }
    if (turn.epoch !== this.epoch) {
      // It ran on state a failed commit took back.
      this.lose(turn, new Error("an earlier commit failed"));
      return;
    }
    const tail = this.groups.at(-1);
    if (turn.writes.size === 0) {
      if (tail) tail.join(turn);
      else this.deliver(turn.outputs, [turn]);
      return;
    }
    let group = tail;
    if (!group || group.committing || this.now() - group.openedAt > GROUP_MS || !group.fits(turn)) {
      group = new Group(this.now());
      this.groups.push(group);
    }
    group.add(turn);
    this.pump();
  }

  /** Commits the oldest group, unless a commit is in flight. */
  private pump(): void {
    const head = this.groups[0];
    if (!head || head.committing) return;
    head.committing = true;
    const puts: [string, string][] = [];
    const deletes: string[] = [];
    for (const [key, value] of head.writes) {
      if (value === null) deletes.push(key);
      else puts.push([key, value]);
    }
    let commit: Promise<void>;
    try {
      commit = this.store.commit(puts, deletes);
    } catch (error) {
      commit = Promise.reject(error);
    }
    commit.then(
      () => this.committed(head),
      (error) => this.failed(error),
    );
  }

  private committed(group: Group): void {
    this.groups.shift();
    this.deliver(group.outputs, group.turns);
    this.pump();
    if (!this.running) this.drain();
    else this.checkIdle();
  }

  /** A commit failed: every group waiting is lost, and the room reloads before its next turn. */
  private failed(error: unknown): void {
    this.epoch++;
    const lost = this.groups.splice(0);
    // Answers to lost turns go out now, not into a running turn (which is lost too).
    this.outside(() => {
      for (const group of lost) for (const turn of group.turns) this.lose(turn, error);
      this.hooks.commitFailed(error);
    });
    const reload = this.hooks.reload();
    if (reload) this.queue.unshift({ during: "connect", task: reload });
    if (!this.running) this.drain();
  }

  private lose(turn: Turn, error: unknown): void {
    if (turn.queued.lost) turn.queued.lost();
    else turn.queued.fail?.(LOST);
    turn.settle(error);
  }

  private deliver(outputs: (() => void)[], turns: Turn[]): void {
    for (const output of outputs) {
      try {
        output();
      } catch (error) {
        console.error("roomwire: sending a frame failed", error);
      }
    }
    for (const turn of turns) turn.settle();
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const idlers = this.idlers;
    this.idlers = [];
    for (const resolve of idlers) resolve();
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === "function";
}
