import { compareKeys } from "../../src/index.ts";

/**
 * How a room key maps onto a Deno KV key. Deno KV refuses keys over 2048
 * bytes (encoded, room part included), but roomwire allows 2048-byte keys, so
 * a key longer than `HEAD_CODE_POINTS` code points is stored under its first
 * `HEAD_CODE_POINTS` code points plus a digest of the whole key. Cutting at a
 * code point (never at a byte) keeps Deno KV's order, which is UTF-8 byte
 * order, equal to the order of the keys themselves, except among long keys
 * that share a head; `list` sorts those few in memory.
 */
export const HEAD_CODE_POINTS = 400;

/** A key as KV key parts: `[key]`, or `[head, digest]` for a long key. */
export type KeyParts = [string] | [string, string];

const encoder = new TextEncoder();

/** The UTF-16 index where the key's head ends, or -1 when the key is short enough to store as it is. */
function headEnd(key: string): number {
  let index = 0;
  for (let points = 0; points < HEAD_CODE_POINTS; points++) {
    if (index >= key.length) return -1;
    index += key.codePointAt(index)! > 0xffff ? 2 : 1;
  }
  return index >= key.length ? -1 : index;
}

/** The key truncated to its head (the whole key when it is short). */
export function head(key: string): string {
  const end = headEnd(key);
  return end < 0 ? key : key.slice(0, end);
}

/** Whether `key` is stored as `[head, digest]`. */
export function isLong(key: string): boolean {
  return headEnd(key) >= 0;
}

/** Hex SHA-256 of a string, first `bytes` bytes. */
export async function digest(text: string, bytes = 16): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return [...hash.subarray(0, bytes)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The KV key parts of a room key. */
export async function keyParts(key: string): Promise<KeyParts> {
  const end = headEnd(key);
  return end < 0 ? [key] : [key.slice(0, end), await digest(key)];
}

/** Bounds of a `list()` as strings: `lower` inclusive (undefined: from the first key), `upper` exclusive (undefined: to the last). */
export interface StringRange {
  lower?: string;
  upper?: string;
}

/** Folds prefix, start and end into one range, or undefined when it is empty. */
export function stringRange(options: { prefix?: string; start?: string; end?: string }): StringRange | undefined {
  const { prefix, start, end } = options;
  let lower = prefix || undefined;
  if (start !== undefined && (lower === undefined || compareKeys(start, lower) > 0)) lower = start;
  let upper = prefix ? successor(prefix) : undefined;
  if (end !== undefined && (upper === undefined || compareKeys(end, upper) < 0)) upper = end;
  if (lower !== undefined && upper !== undefined && compareKeys(lower, upper) >= 0) return undefined;
  return { lower, upper };
}

/**
 * The smallest string greater than every string that starts with `prefix`:
 * its last code point plus one (skipping the surrogate range). Undefined
 * when there is none (only U+10FFFF code points).
 */
export function successor(prefix: string): string | undefined {
  const points = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) return String.fromCodePoint(...points, last === 0xd7ff ? 0xe000 : last + 1);
  }
  return undefined;
}

/**
 * KV bounds covering at least the keys in `range` (and at most a few more
 * long keys at the edges, which `list` filters out): the lower bound is the
 * head of `lower`; the upper bound is `[upper]` for a short `upper`, and
 * after every `[head, digest]` of its head for a long one.
 */
export function kvBounds(range: StringRange): { lower?: Deno.KvKeyPart[]; upper?: Deno.KvKeyPart[] } {
  return {
    lower: range.lower === undefined ? undefined : [head(range.lower)],
    upper: range.upper === undefined ? undefined : isLong(range.upper) ? [head(range.upper), true] : [range.upper],
  };
}

/** Whether `key` lies in the list's exact range. */
export function inRange(key: string, options: { prefix?: string; start?: string; end?: string }): boolean {
  const { prefix, start, end } = options;
  return (
    (prefix === undefined || key.startsWith(prefix)) &&
    (start === undefined || compareKeys(key, start) >= 0) &&
    (end === undefined || compareKeys(key, end) < 0)
  );
}
