import { LimitError } from "./errors.ts";
import type { StoragePort } from "./ports.ts";
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
      const entries = await port.list(options);
      return new Map(entries.map(([key, json]) => [key, JSON.parse(json) as T]));
    },
  };
}
