import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestPeer } from "../support/peer.ts";
import { targets } from "./targets.ts";

const KiB = 1024;
/** A JSON string value whose serialised form is exactly `bytes` bytes. */
const jsonString = (bytes: number) => "x".repeat(bytes - 2);
const byteLength = (text: string) => Buffer.byteLength(text, "utf8");
/** Sorted by UTF-8 bytes, the order every store must list in. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * One storage contract, run against every store through the storage fixture
 * room: each case sends requests that map onto `room.storage`.
 */
describe.each(targets)("storage on $name", (target) => {
  let rooms = 0;
  /** A connection to a room no other test uses. */
  const fresh = () => target.connect(`contract-${Date.now()}-${rooms++}`);
  /** The reply's data; fails the test on a failed reply. */
  const call = async (client: TestPeer, type: string, data?: unknown) => {
    const reply = await client.request(type, data);
    if (reply.error) throw new Error(`${type} failed: ${reply.error.code}: ${reply.error.message}`);
    return reply.data;
  };
  const keys = async (client: TestPeer, options: object) => (await call(client, "list", options)).map(([key]: [string]) => key);

  beforeAll(() => target.start());
  afterAll(() => target.stop());

  describe("get, put and delete", () => {
    it("reads back what was put, overwrites, and deletes", async () => {
      const store = await fresh();
      expect(await call(store, "get", { key: "a" })).toEqual({ found: false });
      expect(await call(store, "put", { key: "a", value: 1 })).toBe(true);
      expect(await call(store, "get", { key: "a" })).toEqual({ found: true, value: 1 });
      await call(store, "put", { key: "a", value: "two" });
      expect(await call(store, "get", { key: "a" })).toEqual({ found: true, value: "two" });
      expect(await call(store, "delete", { key: "a" })).toBe(true);
      expect(await call(store, "get", { key: "a" })).toEqual({ found: false });
      expect(await call(store, "delete", { key: "a" })).toBe(false);
    });

    it("stores JSON values unchanged", async () => {
      const store = await fresh();
      const values: Record<string, unknown> = {
        nested: { a: { b: { c: [1, { d: "e" }] } }, empty: {}, list: [] },
        unicode: "héllo 世界 🎉 𝄞 \u{10FFFF} \"quotes\" \\ \n\t\u0000",
        zero: 0,
        negative: -42,
        fractional: -0.000123,
        pi: 3.141592653589793,
        large: 1e300,
        safe: Number.MAX_SAFE_INTEGER,
        tiny: 5e-324,
        nothing: null,
        yes: true,
        no: false,
        array: [1, "two", null, [3, [4]], { five: 5 }],
        "empty string": "",
        "🔑 unicode key ключ": "value",
      };
      for (const [key, value] of Object.entries(values)) await call(store, "put", { key, value });
      for (const [key, value] of Object.entries(values)) expect(await call(store, "get", { key })).toEqual({ found: true, value });
      const listed = Object.fromEntries(await call(store, "list", {}));
      expect(listed).toEqual(values);
    });
  });

  describe("list", () => {
    // "｡" (U+FF61) sorts before "😀" (U+1F600) by UTF-8 bytes, after it by UTF-16 code units.
    const all = ["a", "a/1", "a/10", "a/2", "ab", "b", "b/1", "z", "é", "éa", "｡", "😀", "😀/x"].sort(byUtf8);
    let store: TestPeer;
    beforeAll(async () => {
      store = await fresh();
      // Put out of order, so no store can pass by remembering insertion order.
      for (const key of [...all].reverse()) await call(store, "put", { key, value: { key } });
    });

    it("lists every key in UTF-8 byte order with its value", async () => {
      const entries = await call(store, "list", {});
      expect(entries).toEqual(all.map((key) => [key, { key }]));
      expect(all.indexOf("｡")).toBeLessThan(all.indexOf("😀"));
    });

    it("lists by prefix", async () => {
      expect(await keys(store, { prefix: "a/" })).toEqual(["a/1", "a/10", "a/2"]);
      expect(await keys(store, { prefix: "a" })).toEqual(["a", "a/1", "a/10", "a/2", "ab"]);
      expect(await keys(store, { prefix: "é" })).toEqual(["é", "éa"]);
      expect(await keys(store, { prefix: "😀" })).toEqual(["😀", "😀/x"]);
      expect(await keys(store, { prefix: "nothing" })).toEqual([]);
    });

    it("lists by a prefix holding a NUL character", async () => {
      const nul = await fresh();
      for (const key of ["n", "n\u0000x", "n\u0000", "n\u0001"]) await call(nul, "put", { key, value: 1 });
      expect(await keys(nul, { prefix: "n\u0000" })).toEqual(["n\u0000", "n\u0000x"]);
    });

    it("honours limit and reverse, with and without a prefix", async () => {
      expect(await keys(store, { limit: 3 })).toEqual(all.slice(0, 3));
      expect(await keys(store, { reverse: true })).toEqual([...all].reverse());
      expect(await keys(store, { reverse: true, limit: 2 })).toEqual([...all].reverse().slice(0, 2));
      expect(await keys(store, { prefix: "a/", limit: 2 })).toEqual(["a/1", "a/10"]);
      expect(await keys(store, { prefix: "a/", reverse: true })).toEqual(["a/2", "a/10", "a/1"]);
      expect(await keys(store, { prefix: "a/", reverse: true, limit: 1 })).toEqual(["a/2"]);
      expect(await keys(store, { limit: 100 })).toEqual(all);
    });

    it("honours start (inclusive) and end (exclusive)", async () => {
      expect(await keys(store, { start: "b" })).toEqual(all.slice(all.indexOf("b")));
      expect(await keys(store, { end: "b" })).toEqual(all.slice(0, all.indexOf("b")));
      expect(await keys(store, { start: "a/10", end: "b/1" })).toEqual(["a/10", "a/2", "ab", "b"]);
      expect(await keys(store, { start: "a/", end: "a0" })).toEqual(["a/1", "a/10", "a/2"]);
      expect(await keys(store, { start: "a/10", end: "b/1", reverse: true, limit: 2 })).toEqual(["b", "ab"]);
      expect(await keys(store, { start: "c", end: "é" })).toEqual(["z"]);
      expect(await keys(store, { start: "z", end: "b" })).toEqual([]);
    });

    it("combines prefix with start and end", async () => {
      expect(await keys(store, { prefix: "a", start: "a/2" })).toEqual(["a/2", "ab"]);
      expect(await keys(store, { prefix: "a", end: "a/2" })).toEqual(["a", "a/1", "a/10"]);
      expect(await keys(store, { prefix: "a/", start: "0", end: "zz" })).toEqual(["a/1", "a/10", "a/2"]);
    });

    it("orders and bounds long keys that share their first 500 characters", async () => {
      const long = await fresh();
      const base = "k".repeat(500);
      const names = [base + "b", base + "a", base + "c", base, "k".repeat(400), "k".repeat(399) + "l", base + "b" + "é".repeat(700)];
      for (const key of names) await call(long, "put", { key, value: key.length });
      const sorted = [...names].sort(byUtf8);
      expect(await keys(long, {})).toEqual(sorted);
      expect(await keys(long, { reverse: true })).toEqual([...sorted].reverse());
      expect(await keys(long, { prefix: base })).toEqual(sorted.filter((key) => key.startsWith(base)));
      expect(await keys(long, { prefix: base + "b" })).toEqual([base + "b", base + "b" + "é".repeat(700)]);
      expect(await keys(long, { start: base + "b", limit: 2 })).toEqual([base + "b", base + "b" + "é".repeat(700)]);
      expect(await keys(long, { end: base + "b", reverse: true, limit: 2 })).toEqual([base + "a", base]);
      expect(await keys(long, { start: base + "a", end: base + "c" })).toEqual([base + "a", base + "b", base + "b" + "é".repeat(700)]);
      for (const key of names) expect(await call(long, "get", { key })).toEqual({ found: true, value: key.length });
      expect(await call(long, "delete", { key: base + "b" })).toBe(true);
      expect(await call(long, "get", { key: base + "b" })).toEqual({ found: false });
      expect(await call(long, "get", { key: base + "a" })).toEqual({ found: true, value: 501 });
    });
  });

  describe("limits, the same on every store", () => {
    it("accepts a key of 2048 UTF-8 bytes and refuses 2049 with a clear failed reply", async () => {
      const store = await fresh();
      for (const key of ["k".repeat(2048), "é".repeat(1024), "😀".repeat(512)]) {
        expect(byteLength(key)).toBe(2048);
        await call(store, "put", { key, value: key.slice(0, 3) });
        expect(await call(store, "get", { key })).toEqual({ found: true, value: key.slice(0, 3) });
        expect(await keys(store, { prefix: key.slice(0, 10) })).toEqual([key]);
        expect(await call(store, "delete", { key })).toBe(true);
      }
      for (const key of ["k".repeat(2049), "é".repeat(1024) + "k"]) {
        const reply = await store.request("put", { key, value: 1 });
        expect(reply.error?.code).toBe("limit");
        expect(reply.error?.message).toBe("Storage key is 2049 bytes; the limit is 2048 bytes. Use a shorter key.");
        expect((await store.request("get", { key })).error?.code).toBe("limit");
      }
    });

    it("accepts a value of exactly 128 KiB as JSON and refuses one byte more with a clear failed reply", async () => {
      const store = await fresh();
      const value = jsonString(128 * KiB);
      expect(byteLength(JSON.stringify(value))).toBe(128 * KiB);
      await call(store, "put", { key: "max", value });
      expect(await call(store, "get", { key: "max" })).toEqual({ found: true, value });
      const reply = await store.request("put", { key: "over", value: value + "x" });
      expect(reply.error?.code).toBe("limit");
      expect(reply.error?.message).toBe('The value for "over" is 131073 bytes as JSON; the limit is 131072 bytes. Split it over several keys.');
      expect(await call(store, "get", { key: "over" })).toEqual({ found: false });
    });

    it("round-trips values of 100 KiB and 128 KiB whole, even with characters split across chunks", async () => {
      const store = await fresh();
      const ascii = jsonString(100 * KiB);
      // 1, 2, 3 and 4 UTF-8 bytes per character: chunk boundaries fall inside characters.
      const mixed = "aé€😀".repeat(Math.floor((128 * KiB - 2) / 10));
      const object = { text: "é".repeat(30 * KiB), list: Array.from({ length: 4000 }, (_, i) => i * 1.5) };
      for (const [key, value] of Object.entries({ ascii, mixed, object })) {
        await call(store, "put", { key, value });
        expect(await call(store, "get", { key })).toEqual({ found: true, value });
      }
      expect(await call(store, "list", {})).toEqual([["ascii", ascii], ["mixed", mixed], ["object", object]]);
      // A large value overwritten by a small one, then deleted, leaves nothing behind.
      await call(store, "put", { key: "mixed", value: "small" });
      expect(await call(store, "get", { key: "mixed" })).toEqual({ found: true, value: "small" });
      expect(await call(store, "delete", { key: "ascii" })).toBe(true);
      expect(await call(store, "list", {})).toEqual([["mixed", "small"], ["object", object]]);
    });
  });

  describe("one turn, one commit", () => {
    const turn = (client: TestPeer, ops: object[], thenThrow = false) => client.request("turn", { ops, thenThrow });

    it("commits a handler's puts and deletes together, and its reads see its own writes", async () => {
      const store = await fresh();
      await call(store, "put", { key: "b", value: "old" });
      await call(store, "put", { key: "d", value: "gone soon" });
      const reply = await turn(store, [
        { op: "put", key: "a", value: 1 },
        { op: "get", key: "a" },
        { op: "put", key: "b", value: "new" },
        { op: "get", key: "b" },
        { op: "delete", key: "d" },
        { op: "get", key: "d" },
        { op: "delete", key: "d" },
        { op: "put", key: "c", value: 3 },
        { op: "list", options: {} },
        { op: "list", options: { limit: 2, reverse: true } },
        { op: "list", options: { start: "b", limit: 2 } },
      ]);
      expect(reply.error).toBeUndefined();
      expect(reply.data).toEqual([
        true,
        1,
        true,
        "new",
        true,
        null,
        false,
        true,
        [["a", 1], ["b", "new"], ["c", 3]],
        [["c", 3], ["b", "new"]],
        [["b", "new"], ["c", 3]],
      ]);
      expect(await call(store, "list", {})).toEqual([["a", 1], ["b", "new"], ["c", 3]]);
    });

    it("commits nothing of a handler that throws", async () => {
      const store = await fresh();
      await call(store, "put", { key: "kept", value: "before" });
      const reply = await turn(store, [{ op: "put", key: "kept", value: "after" }, { op: "put", key: "new", value: 1 }, { op: "delete", key: "kept" }], true);
      expect(reply.error?.code).toBe("thrown");
      expect(await call(store, "list", {})).toEqual([["kept", "before"]]);
    });

    it("commits a turn of 128 keys, and refuses the 129th with a clear limit error, committing none of them", async () => {
      const store = await fresh();
      expect((await turn(store, [{ op: "fill", prefix: "ok/", count: 128, bytes: 10 }])).error).toBeUndefined();
      expect(await keys(store, { prefix: "ok/" })).toHaveLength(128);
      const refused = await turn(store, [{ op: "fill", prefix: "over/", count: 129, bytes: 10 }]);
      expect(refused.error?.code).toBe("limit");
      expect(refused.error?.message).toMatch(/128 keys and 512 KiB.*Nothing it wrote is committed/);
      expect(await keys(store, { prefix: "over/" })).toEqual([]);
    });

    it("refuses a turn over 512 KiB with a clear limit error, committing none of it", async () => {
      const store = await fresh();
      expect((await turn(store, [{ op: "fill", prefix: "ok/", count: 4, bytes: 120 * KiB }])).error).toBeUndefined();
      const refused = await turn(store, [{ op: "fill", prefix: "big/", count: 5, bytes: 120 * KiB }]);
      expect(refused.error?.code).toBe("limit");
      expect(await keys(store, { prefix: "big/" })).toEqual([]);
      expect(await keys(store, { prefix: "ok/" })).toHaveLength(4);
    });

    it("commits concurrent turns in order: 40 turns of 3 keys each, sent at once, all present and consistent", async () => {
      const store = await fresh();
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          turn(store, [{ op: "put", key: `t/${String(i).padStart(2, "0")}/a`, value: i }, { op: "put", key: `t/${String(i).padStart(2, "0")}/b`, value: i }, { op: "put", key: "last", value: i }]),
        ),
      );
      expect(replies.filter((reply) => reply.error)).toEqual([]);
      expect(await keys(store, { prefix: "t/" })).toHaveLength(80);
      expect(await call(store, "get", { key: "last" })).toEqual({ found: true, value: 39 });
    });
  });

  describe("rooms", () => {
    it("serialises handlers: two connections incrementing 50 times each, concurrently, count to 100", async () => {
      const room = `counter-${Date.now()}`;
      const [one, two] = await Promise.all([target.connect(room), target.connect(room)]);
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => call(i % 2 ? one! : two!, "increment", { key: "count" })),
      );
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(await call(one!, "get", { key: "count" })).toEqual({ found: true, value: 100 });
    });

    it("never shows one room's keys to another", async () => {
      const [one, two] = [await fresh(), await fresh()];
      await call(one, "put", { key: "secret", value: "one" });
      await call(one, "put", { key: "shared", value: "one" });
      await call(two, "put", { key: "shared", value: "two" });
      expect(await call(two, "get", { key: "secret" })).toEqual({ found: false });
      expect(await call(two, "list", {})).toEqual([["shared", "two"]]);
      expect(await call(one, "list", {})).toEqual([["secret", "one"], ["shared", "one"]]);
      expect(await call(two, "delete", { key: "secret" })).toBe(false);
      expect(await call(one, "get", { key: "secret" })).toEqual({ found: true, value: "one" });
    });
  });
});
