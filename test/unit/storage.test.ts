import { describe, expect, it } from "vitest";
import { defineRoom, memoryStorage, type RoomStorage } from "../../src/index.ts";
import { committing, roomStorage } from "../../src/storage.ts";
import { testRoom } from "../../src/testing/index.ts";

/** Storage semantics every runtime shares, through the JSON layer over the in-memory port. */

const stores: [string, () => RoomStorage][] = [
  ["testRoom().storage", () => testRoom(defineRoom({})).storage],
  ["roomStorage(memoryStorage())", () => roomStorage(committing(memoryStorage()))],
];

async function seed(storage: RoomStorage, keys: string[]) {
  for (const key of keys) await storage.put(key, key.toUpperCase());
}
const keysOf = (map: Map<string, unknown>) => [...map.keys()];

describe.each(stores)("%s", (_label, make) => {
  it("get of a missing key is undefined; put then get returns the value", async () => {
    const storage = make();
    expect(await storage.get("missing")).toBeUndefined();
    await storage.put("k", { a: 1 });
    expect(await storage.get("k")).toEqual({ a: 1 });
    await storage.put("k", 2);
    expect(await storage.get("k")).toBe(2);
  });

  it("delete returns whether the key existed", async () => {
    const storage = make();
    await storage.put("k", 1);
    expect(await storage.delete("k")).toBe(true);
    expect(await storage.get("k")).toBeUndefined();
    expect(await storage.delete("k")).toBe(false);
    expect(await storage.delete("never")).toBe(false);
  });

  it("JSON values round-trip: nested, unicode, numbers, null, false, 0, empty string", async () => {
    const storage = make();
    const values: Record<string, unknown> = {
      nested: { a: [1, { b: [true, null, "x"] }], c: { d: { e: -0.5 } } },
      unicode: "héllo 😀 \u0000 \uFFFF 日本",
      numbers: [0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER],
      null: null,
      false: false,
      zero: 0,
      empty: "",
      emptyArray: [],
    };
    for (const [key, value] of Object.entries(values)) await storage.put(key, value);
    for (const [key, value] of Object.entries(values)) expect(await storage.get(key)).toEqual(value);
    // null is a stored value, unlike a missing key
    expect(await storage.get("null")).toBeNull();
  });

  it("values are copies: mutating what was put or got does not change storage", async () => {
    const storage = make();
    const value = { list: [1] };
    await storage.put("k", value);
    value.list.push(2);
    const got = await storage.get<{ list: number[] }>("k");
    got!.list.push(3);
    expect(await storage.get("k")).toEqual({ list: [1] });
  });

  it("values go through JSON: a Date becomes its ISO string, undefined fields vanish", async () => {
    const storage = make();
    await storage.put("k", { when: new Date(0), gone: undefined, kept: 1 });
    expect(await storage.get("k")).toEqual({ when: "1970-01-01T00:00:00.000Z", kept: 1 });
  });

  it("list returns every key in order, with values", async () => {
    const storage = make();
    await seed(storage, ["b", "a", "c"]);
    expect(await storage.list()).toEqual(
      new Map([
        ["a", "A"],
        ["b", "B"],
        ["c", "C"],
      ]),
    );
    expect(keysOf(await storage.list())).toEqual(["a", "b", "c"]);
  });

  it("list with prefix", async () => {
    const storage = make();
    await seed(storage, ["user:2", "user:1", "users", "user", "room:1", "use"]);
    expect(keysOf(await storage.list({ prefix: "user:" }))).toEqual(["user:1", "user:2"]);
    expect(keysOf(await storage.list({ prefix: "user" }))).toEqual(["user", "user:1", "user:2", "users"]);
    expect(keysOf(await storage.list({ prefix: "nothing" }))).toEqual([]);
  });

  it("list with start (inclusive) and end (exclusive)", async () => {
    const storage = make();
    await seed(storage, ["a", "b", "c", "d", "e"]);
    expect(keysOf(await storage.list({ start: "b" }))).toEqual(["b", "c", "d", "e"]);
    expect(keysOf(await storage.list({ end: "d" }))).toEqual(["a", "b", "c"]);
    expect(keysOf(await storage.list({ start: "b", end: "d" }))).toEqual(["b", "c"]);
    expect(keysOf(await storage.list({ start: "bb", end: "cc" }))).toEqual(["c"]);
    expect(keysOf(await storage.list({ start: "c", end: "c" }))).toEqual([]);
  });

  it("list with limit and reverse", async () => {
    const storage = make();
    await seed(storage, ["a", "b", "c", "d", "e"]);
    expect(keysOf(await storage.list({ limit: 2 }))).toEqual(["a", "b"]);
    expect(keysOf(await storage.list({ reverse: true }))).toEqual(["e", "d", "c", "b", "a"]);
    expect(keysOf(await storage.list({ reverse: true, limit: 2 }))).toEqual(["e", "d"]);
    expect(keysOf(await storage.list({ limit: 10 }))).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("list combines prefix, start, end, limit and reverse", async () => {
    const storage = make();
    await seed(storage, ["m:1", "m:2", "m:3", "m:4", "m:5", "n:1", "l:9"]);
    expect(keysOf(await storage.list({ prefix: "m:", start: "m:2", end: "m:5", reverse: true, limit: 2 }))).toEqual(["m:4", "m:3"]);
    expect(keysOf(await storage.list({ prefix: "m:", reverse: true, limit: 3 }))).toEqual(["m:5", "m:4", "m:3"]);
    expect(keysOf(await storage.list({ prefix: "m:", start: "m:4" }))).toEqual(["m:4", "m:5"]);
  });

  it("keys are ordered by UTF-8 bytes, not UTF-16 code units", async () => {
    const storage = make();
    const keys = ["\u{1F600}", "\uFFFF", "\uE000", "z", "é", "A", "a", "aa", "\u{10000}"];
    await seed(storage, keys);
    const expected = ["A", "a", "aa", "z", "é", "\uE000", "\uFFFF", "\u{10000}", "\u{1F600}"];
    // The same order as comparing the UTF-8 encodings byte by byte.
    const encoder = new TextEncoder();
    const byBytes = [...keys].sort((x, y) => Buffer.compare(encoder.encode(x), encoder.encode(y)));
    expect(byBytes).toEqual(expected);
    expect(keysOf(await storage.list())).toEqual(expected);
    expect(keysOf(await storage.list({ reverse: true }))).toEqual([...expected].reverse());
    // start/end use the same order: "\uFFFF" sorts before "\u{1F600}".
    expect(keysOf(await storage.list({ start: "\uFFFF", end: "\u{1F600}" }))).toEqual(["\uFFFF", "\u{10000}"]);
    expect(keysOf(await storage.list({ start: "\u{10000}" }))).toEqual(["\u{10000}", "\u{1F600}"]);
  });

  it("a key that is a prefix of another sorts first, also with astral characters", async () => {
    const storage = make();
    await seed(storage, ["😀x", "😀", "😀😀", "😀\uFFFF"]);
    expect(keysOf(await storage.list())).toEqual(["😀", "😀x", "😀\uFFFF", "😀😀"]);
  });
});

describe("storage in a room", () => {
  it("handlers and the test see the same storage", async () => {
    const room = testRoom(
      defineRoom({
        async connect(_connection, room) {
          await room.storage.put("joins", ((await room.storage.get<number>("joins")) ?? 0) + 1);
        },
      }),
    );
    await room.storage.put("joins", 10);
    await room.connect();
    await room.connect();
    expect(await room.storage.get("joins")).toBe(12);
  });

  it("the memory port stores JSON text", async () => {
    const map = new Map<string, string>();
    const storage = roomStorage(committing(memoryStorage(map)));
    await storage.put("k", { a: "é" });
    expect(map.get("k")).toBe('{"a":"é"}');
  });
});
