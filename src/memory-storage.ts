import type { StoragePort } from "./ports.ts";

/** Orders strings by code point, which is their UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Whether `key` falls in a `list()` range: under `prefix`, at or after `start`, before `end`. */
export function inRange(key: string, { prefix = "", start, end }: { prefix?: string; start?: string; end?: string }): boolean {
  return key.startsWith(prefix) && (start === undefined || compareKeys(key, start) >= 0) && (end === undefined || compareKeys(key, end) < 0);
}

/**
 * Room storage kept in a Map: for tests and for hosts without persistence.
 * A commit applies all its writes at once, before any other code runs.
 */
export function memoryStorage(map: Map<string, string> = new Map()): StoragePort {
  return {
    async get(key) {
      return map.get(key);
    },
    async commit(puts, deletes) {
      for (const [key, value] of puts) map.set(key, value);
      for (const key of deletes) map.delete(key);
    },
    async list(options) {
      const keys = [...map.keys()].filter((key) => inRange(key, options)).sort(compareKeys);
      if (options.reverse) keys.reverse();
      return keys.slice(0, options.limit).map((key) => [key, map.get(key)!]);
    },
  };
}
