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

/** Room storage kept in a Map: for tests and for hosts without persistence. */
export function memoryStorage(map: Map<string, string> = new Map()): StoragePort {
  return {
    async get(key) {
      return map.get(key);
    },
    async put(key, value) {
      map.set(key, value);
    },
    async delete(key) {
      return map.delete(key);
    },
    async list({ prefix = "", start, end, limit, reverse }) {
      const keys = [...map.keys()]
        .filter(
          (key) =>
            key.startsWith(prefix) &&
            (start === undefined || compareKeys(key, start) >= 0) &&
            (end === undefined || compareKeys(key, end) < 0),
        )
        .sort(compareKeys);
      if (reverse) keys.reverse();
      return keys.slice(0, limit).map((key) => [key, map.get(key)!]);
    },
  };
}
