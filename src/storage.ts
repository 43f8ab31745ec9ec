import { LimitError } from "./errors.ts";
import type { StoragePort } from "./ports.ts";
import { INTERNAL_PREFIX } from "./replay.ts";
import type { ListOptions, RoomStorage } from "./types.ts";

/** Largest key, in UTF-8 bytes (Durable Object storage's limit). */
export const MAX_KEY_BYTES = 2048;
/** Largest value, serialised as JSON, in UTF-8 bytes (Durable Object storage's limit). */
export const MAX_VALUE_BYTES = 128 * 1024;

const encoder = new TextEncoder();

/** UTF-8 length of a string. */
export function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

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

/** Wraps an adapter's storage port with JSON encoding and the limits every runtime shares. */
export function roomStorage(port: StoragePort): RoomStorage {
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
