import { byteLength } from "./bytes.ts";
import { LimitError } from "./errors.ts";
import type { ListRange, StoragePort } from "./ports.ts";
import { INTERNAL_PREFIX } from "./replay.ts";
import type { ListOptions, RoomStorage } from "./types.ts";

/** Largest key, in UTF-8 bytes (Durable Object storage's limit). */
export const MAX_KEY_BYTES = 2048;
/** Largest value, serialised as JSON, in UTF-8 bytes (Durable Object storage's limit). */
export const MAX_VALUE_BYTES = 128 * 1024;

function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new TypeError(`Storage keys must be non-empty strings; got ${JSON.stringify(key)}.`);
  }
  if (key.startsWith(INTERNAL_PREFIX)) {
    throw new TypeError(`Keys starting with "${INTERNAL_PREFIX}" are roomwire's own (the replay log); choose another key.`);
  }
  const size = byteLength(key);
  if (size > MAX_KEY_BYTES) {
    throw new LimitError(`Storage key is ${size} bytes; the limit is ${MAX_KEY_BYTES} bytes. Use a shorter key.`);
  }
}

function serialise(key: string, value: unknown): string {
  if (value === undefined) {
    throw new TypeError(`Cannot store undefined under "${key}"; use storage.delete("${key}") to remove a key.`);
  }
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`The value for "${key}" is not JSON-serialisable.`);
  const size = byteLength(json);
  if (size > MAX_VALUE_BYTES) {
    throw new LimitError(
      `The value for "${key}" is ${size} bytes as JSON; the limit is ${MAX_VALUE_BYTES} bytes. Split it over several keys.`,
    );
  }
  return json;
}

/** What `roomStorage` reads and writes: a turn's view of the store (`StagedStorage`), or the store itself (`committing`). */
export interface StorageView {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): void | Promise<void>;
  delete(key: string): Promise<boolean>;
  list(options: ListRange & { limit?: number; reverse?: boolean }): Promise<[string, string][]>;
}

/** The store itself, each write its own commit: to seed or inspect a room's storage from outside its turns (tests). */
export function committing(port: StoragePort): StorageView {
  return {
    get: (key) => port.get(key),
    list: (options) => port.list(options),
    put: (key, value) => port.commit([[key, value]], []),
    async delete(key) {
      const found = (await port.get(key)) !== undefined;
      await port.commit([], [key]);
      return found;
    },
  };
}

/** `room.storage`: JSON encoding and the limits every runtime shares, over a view of the store. */
export function roomStorage(port: StorageView): RoomStorage {
  return {
    async get<T>(key: string) {
      checkKey(key);
      const json = await port.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as T);
    },
    async put(key, value) {
      checkKey(key);
      await port.put(key, serialise(key, value));
    },
    async delete(key) {
      checkKey(key);
      return port.delete(key);
    },
    async list<T>(options: ListOptions = {}) {
      if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
        throw new RangeError(`list() limit must be a positive integer; got ${options.limit}.`);
      }
      const result = new Map<string, T>();
      // roomwire's own keys are left out; ask again when they took places the limit allowed.
      let limit = options.limit;
      for (;;) {
        const entries = await port.list({ ...options, limit });
        result.clear();
        let hidden = 0;
        for (const [key, json] of entries) {
          if (key.startsWith(INTERNAL_PREFIX)) hidden++;
          else result.set(key, JSON.parse(json) as T);
        }
        if (hidden === 0 || limit === undefined || entries.length < limit) break;
        limit += hidden;
      }
      if (options.limit !== undefined && result.size > options.limit) {
        return new Map([...result].slice(0, options.limit));
      }
      return result;
    },
  };
}
