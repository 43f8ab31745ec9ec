import { MAX_VALUE_BYTES, type StoragePort } from "../../src/index.ts";
import { compareKeys } from "../../src/index.ts";
import { digest, inRange, keyParts, kvBounds, stringRange, type KeyParts } from "./kv-keys.ts";

/**
 * Deno KV refuses values over 64 KiB, roomwire allows 128 KiB: a value is
 * split into chunks of this many UTF-8 bytes. The first chunk shares its KV
 * value with the entry's header (and a long key), so it stays well under 64 KiB.
 */
export const CHUNK_BYTES = 56 * 1024;
const MAX_CHUNKS = Math.ceil(MAX_VALUE_BYTES / CHUNK_BYTES);
/** Room keys longer than this (in UTF-8 bytes) are replaced in KV keys by their digest, so every KV key stays under 2048 bytes. */
const MAX_ROOM_PART_BYTES = 256;

/** A cluster's fence of a room's commits: the check each commit must pass (see `denoKvCluster`). */
export type KvFence = (room: string) => Deno.AtomicCheck | undefined;

/** What a room key's KV entry holds: the first chunk of the value, how many chunks there are, and the whole key when it is long. */
interface Entry {
  bytes: Uint8Array;
  chunks: number;
  key?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Every room's storage and alarm in one Deno KV database (the `LocalStore` of
 * `LocalRooms`). Entries live under
 * `["room", room, key]` (`[…, head, digest]` for a long key, see kv-keys.ts),
 * later chunks of a large value under `["chunk", room, key, i]`, alarms under
 * `["alarm", room]`. A turn's writes, with all their chunks, are one atomic
 * operation, and a value is read back in one snapshot, so it is never seen
 * half-written, even with several processes on one database (Deno Deploy).
 */
export class KvRooms {
  /** The database. */
  readonly kv: Promise<Deno.Kv>;
  private readonly owned: boolean;
  private readonly fence: KvFence | undefined;

  /**
   * Opens `dataDir/rooms.kv`, or uses `kv` (e.g. `Deno.openKv()` on Deno
   * Deploy), or memory. With `fence` (a cluster's leases), every commit also
   * checks the room's fence key, so it lands only while the lease it was made
   * under still stands.
   */
  constructor(options: { dataDir?: string; kv?: Deno.Kv | Promise<Deno.Kv>; fence?: KvFence }) {
    this.fence = options.fence;
    if (options.kv === undefined && typeof Deno.openKv !== "function") {
      throw new Error(
        'Deno KV is not enabled, and roomwire keeps room storage in it when dataDir or kv is given: run deno with --unstable-kv, or add "unstable": ["kv"] to deno.json (or leave out dataDir and kv to keep rooms in memory).',
      );
    }
    this.owned = options.kv === undefined;
    this.kv = options.kv ? Promise.resolve(options.kv) : open(options.dataDir);
  }

  /** The storage port of one room. */
  storage(room: string): StoragePort {
    const part = roomPart(room);
    const entryKey = async (parts: KeyParts): Promise<Deno.KvKey> => ["room", await part, ...parts];
    const chunkKey = async (parts: KeyParts, index: number): Promise<Deno.KvKey> => ["chunk", await part, ...parts, index];
    const kvPromise = this.kv;
    const fenceOf = this.fence;
    /** The whole value, read with its chunks in one snapshot. */
    const read = async (kv: Deno.Kv, key: string, parts: KeyParts): Promise<string | undefined> => {
      const keys = [await entryKey(parts)];
      for (let i = 1; i < MAX_CHUNKS; i++) keys.push(await chunkKey(parts, i));
      const [entry, ...rest] = await kv.getMany<unknown[]>(keys);
      const value = entry!.value as Entry | null;
      if (!value || (value.key !== undefined && value.key !== key)) return undefined;
      return join(key, value, rest.map((chunk) => chunk.value as Uint8Array | null));
    };

    return {
      async get(key) {
        return read(await kvPromise, key, await keyParts(key));
      },

      async commit(puts, deletes) {
        const kv = await kvPromise;
        const commit = kv.atomic();
        const fence = fenceOf?.(room);
        if (fence) commit.check(fence);
        for (const [key, value] of puts) {
          const parts = await keyParts(key);
          const bytes = encoder.encode(value);
          const chunks = Math.max(1, Math.ceil(bytes.byteLength / CHUNK_BYTES));
          if (chunks > MAX_CHUNKS) {
            throw new RangeError(`The value for "${key}" is ${bytes.byteLength} bytes; Deno KV storage holds at most ${MAX_VALUE_BYTES} bytes per value.`);
          }
          const entry: Entry = { bytes: bytes.slice(0, CHUNK_BYTES), chunks };
          if (parts.length === 2) entry.key = key;
          commit.set(await entryKey(parts), entry);
          for (let i = 1; i < MAX_CHUNKS; i++) {
            const at = await chunkKey(parts, i);
            if (i < chunks) commit.set(at, bytes.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES));
            else commit.delete(at);
          }
        }
        for (const key of deletes) {
          const parts = await keyParts(key);
          commit.delete(await entryKey(parts));
          for (let i = 1; i < MAX_CHUNKS; i++) commit.delete(await chunkKey(parts, i));
        }
        const result = await commit.commit();
        if (!result.ok && fence) throw new Error(`FENCED: this process no longer holds the lease of ${room}; nothing of the turn's writes was stored.`);
        if (!result.ok) throw new Error("Deno KV did not commit the room's writes; nothing of them was stored.");
      },

      async list(options) {
        const range = stringRange(options);
        if (!range) return [];
        const kv = await kvPromise;
        const base: Deno.KvKey = ["room", await part];
        const { lower, upper } = kvBounds(range);
        const selector: Deno.KvListSelector =
          lower && upper ? { start: [...base, ...lower], end: [...base, ...upper] }
          : lower ? { prefix: base, start: [...base, ...lower] }
          : upper ? { prefix: base, end: [...base, ...upper] }
          : { prefix: base };
        const limit = options.limit ?? Infinity;
        const found: { key: string; entry: Entry; parts: KeyParts }[] = [];
        // Long keys that share a head come out in digest order: gather them, then sort them by key.
        let group: typeof found = [];
        const flush = () => {
          group.sort((a, b) => (options.reverse ? compareKeys(b.key, a.key) : compareKeys(a.key, b.key)));
          found.push(...group);
          group = [];
        };
        const batchSize = Math.min(Math.max(Number.isFinite(limit) ? limit + 1 : 100, 10), 500);
        for await (const item of kv.list<Entry>(selector, { reverse: options.reverse, batchSize })) {
          const parts = item.key.slice(2) as KeyParts;
          const key = item.value.key ?? parts[0];
          if (group.length > 0 && (parts.length === 1 || parts[0] !== group[0]!.parts[0])) {
            flush();
            if (found.length >= limit) break;
          }
          if (!inRange(key, options)) continue;
          if (parts.length === 2) group.push({ key, entry: item.value, parts });
          else found.push({ key, entry: item.value, parts });
          if (group.length === 0 && found.length >= limit) break;
        }
        flush();
        const entries = await Promise.all(
          found.slice(0, limit).map(async ({ key, entry, parts }): Promise<[string, string | undefined]> =>
            // A chunked value is read again, whole, in one snapshot: a writer may have replaced it since the listing.
            [key, entry.chunks === 1 ? decoder.decode(entry.bytes) : await read(kv, key, parts)],
          ),
        );
        return entries.filter((entry): entry is [string, string] => entry[1] !== undefined);
      },
    };
  }

  async setAlarm(room: string, at: number): Promise<void> {
    await (await this.kv).set(["alarm", await roomPart(room)], { room, at });
  }

  async getAlarm(room: string): Promise<number | null> {
    const found = await (await this.kv).get<{ at: number }>(["alarm", await roomPart(room)]);
    return found.value?.at ?? null;
  }

  async deleteAlarm(room: string): Promise<void> {
    await (await this.kv).delete(["alarm", await roomPart(room)]);
  }

  async alarms(): Promise<{ room: string; at: number }[]> {
    const list: { room: string; at: number }[] = [];
    for await (const item of (await this.kv).list<{ room: string; at: number }>({ prefix: ["alarm"] })) list.push(item.value);
    return list;
  }

  /** Closes the database, unless it was passed in as `kv`. */
  async close(): Promise<void> {
    if (this.owned) (await this.kv).close();
  }
}

async function open(dataDir: string | undefined): Promise<Deno.Kv> {
  if (!dataDir) return Deno.openKv(":memory:");
  const path = `${dataDir.replace(/\/+$/, "")}/rooms.kv`;
  try {
    await Deno.mkdir(dataDir, { recursive: true });
    return await Deno.openKv(path);
  } catch (error) {
    throw new Error(`roomwire could not open Deno KV at ${path}: ${(error as Error).message}. Check that the data directory is writable (and --allow-read/--allow-write).`, { cause: error });
  }
}

/** The room's part of its KV keys: the room key, or its digest when it is too long to leave room for the key. */
async function roomPart(room: string): Promise<string> {
  const bytes = encoder.encode(room);
  // "\0" takes two bytes in a KV key.
  const size = bytes.byteLength + bytes.filter((byte) => byte === 0).length;
  return size <= MAX_ROOM_PART_BYTES ? room : `#${await digest(room, 32)}`;
}

/** Reassembles a chunked value. */
function join(key: string, entry: Entry, chunks: (Uint8Array | null)[]): string {
  if (entry.chunks === 1) return decoder.decode(entry.bytes);
  const parts = [entry.bytes];
  for (let i = 0; i < entry.chunks - 1; i++) {
    const chunk = chunks[i];
    if (!chunk) throw new Error(`Deno KV holds only part of the value for "${key}" (chunk ${i + 1} of ${entry.chunks} is missing); put the key again.`);
    parts.push(chunk);
  }
  const whole = new Uint8Array(parts.reduce((size, part) => size + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) whole.set(part, offset), (offset += part.byteLength);
  return decoder.decode(whole);
}
