import { compareKeys, inRange } from "./memory-storage.ts";
import type { ListRange, StoragePort } from "./ports.ts";
import type { Turn, Writes } from "./turn.ts";

/**
 * Room storage as a turn sees it: the store, under the writes not yet
 * committed (older groups first, then the turn's own). Writes go to the
 * running turn and reach the store only with its commit.
 */
export class StagedStorage {
  constructor(
    private readonly store: StoragePort,
    /** Uncommitted writes, oldest first, the running turn's last. */
    private readonly layers: () => Writes[],
    /** The running turn, which takes the writes. */
    private readonly turn: () => Turn,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const staged = this.staged(key);
    if (staged !== undefined) return staged ?? undefined;
    return this.store.get(key);
  }

  put(key: string, value: string): void {
    this.turn().put(key, value);
  }

  /** Stages the delete at once (a handler need not await it); resolves with whether the key existed. */
  delete(key: string): Promise<boolean> {
    const turn = this.turn();
    const staged = this.staged(key);
    turn.put(key, null);
    if (staged !== undefined) return Promise.resolve(staged !== null);
    return this.store.get(key).then((value) => value !== undefined);
  }

  async list(options: ListRange & { limit?: number; reverse?: boolean }): Promise<[string, string][]> {
    // Taken before the store is read: a commit that lands meanwhile is in both, and the staged value wins.
    const overlay = new Map<string, string | null>();
    for (const layer of this.layers()) for (const [key, value] of layer) if (inRange(key, options)) overlay.set(key, value);
    let deletes = 0;
    for (const value of overlay.values()) if (value === null) deletes++;
    // Each staged delete may remove one of the store's entries: ask for that many more.
    const limit = options.limit === undefined ? undefined : options.limit + deletes;
    const merged = new Map(await this.store.list({ ...options, limit }));
    for (const [key, value] of overlay) {
      if (value === null) merged.delete(key);
      else merged.set(key, value);
    }
    const keys = [...merged.keys()].sort(compareKeys);
    if (options.reverse) keys.reverse();
    return keys.slice(0, options.limit).map((key) => [key, merged.get(key)!]);
  }

  /** The newest uncommitted write of `key`: its value, `null` for a delete, `undefined` when none. */
  private staged(key: string): string | null | undefined {
    const layers = this.layers();
    for (let i = layers.length - 1; i >= 0; i--) if (layers[i]!.has(key)) return layers[i]!.get(key)!;
    return undefined;
  }
}
