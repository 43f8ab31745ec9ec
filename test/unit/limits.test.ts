import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { CONNECTION_DATA_BUDGET, defineRoom, LimitError, MAX_KEY_BYTES, MAX_VALUE_BYTES } from "../../src/index.ts";
import { RefusedError, testRoom, type TestConnection } from "../../src/testing/index.ts";
import { errorsOf } from "./helpers.ts";

/** A room that counts the frames its handlers saw (in a closure: these tests never hibernate). */
function counting(limits: Parameters<typeof defineRoom>[0]["limits"]) {
  const seen: string[] = [];
  const definition = defineRoom({
    events: { echo: v.string(), hit: v.optional(v.object({})) },
    on: {
      echo: (text) => void seen.push(text),
      hit: () => void seen.push("hit"),
    },
    binary: (bytes) => void seen.push(`bytes:${bytes.byteLength}`),
    limits,
  });
  return { definition, seen };
}

/** `{"type":"echo","data":"<text>"}` */
const echoFrame = (text: string) => JSON.stringify({ type: "echo", data: text });
const bytes = (text: string) => new TextEncoder().encode(text).byteLength;

describe("maxMessageBytes", () => {
  const LIMIT = 100;

  it("a text frame exactly at the limit is handled; one byte over closes with 1009 and skips the handler", async () => {
    const { definition, seen } = counting({ maxMessageBytes: LIMIT, rateLimit: false });
    const room = testRoom(definition);
    const conn = await room.connect();
    const atLimit = echoFrame("x".repeat(LIMIT - echoFrame("").length));
    expect(bytes(atLimit)).toBe(LIMIT);
    await conn.sendRaw(atLimit);
    expect(seen).toHaveLength(1);
    expect(conn.open).toBe(true);

    const over = echoFrame("y".repeat(LIMIT + 1 - echoFrame("").length));
    expect(bytes(over)).toBe(LIMIT + 1);
    await conn.sendRaw(over);
    expect(seen).toHaveLength(1);
    expect(conn.open).toBe(false);
    expect(conn.closedBy?.code).toBe(1009);
  });

  it("multi-byte text is counted in UTF-8 bytes, not characters", async () => {
    const { definition, seen } = counting({ maxMessageBytes: LIMIT, rateLimit: false });
    const room = testRoom(definition);
    const conn = await room.connect();
    // 37 × "é" (2 bytes) + "x": 100 bytes in 63 characters.
    const fits = echoFrame("é".repeat(37) + "x");
    expect([fits.length, bytes(fits)]).toEqual([63, 100]);
    await conn.sendRaw(fits);
    expect(seen).toEqual(["é".repeat(37) + "x"]);
    // 38 × "é": 101 bytes in 63 characters.
    const tooBig = echoFrame("é".repeat(38));
    expect([tooBig.length, bytes(tooBig)]).toEqual([63, 101]);
    await conn.sendRaw(tooBig);
    expect(seen).toHaveLength(1);
    expect(conn.closedBy?.code).toBe(1009);
  });

  it("astral characters (4 bytes, 2 UTF-16 units) are counted in bytes", async () => {
    const { definition, seen } = counting({ maxMessageBytes: LIMIT, rateLimit: false });
    const conn = await testRoom(definition).connect();
    const tooBig = echoFrame("😀".repeat(19)); // 25 + 76 = 101 bytes, 63 characters
    expect([tooBig.length, bytes(tooBig)]).toEqual([63, 101]);
    await conn.sendRaw(tooBig);
    expect(seen).toEqual([]);
    expect(conn.closedBy?.code).toBe(1009);
  });

  it("three-byte characters over the limit close even though the character count is small", async () => {
    const { definition, seen } = counting({ maxMessageBytes: LIMIT, rateLimit: false });
    const conn = await testRoom(definition).connect();
    const tooBig = echoFrame("€".repeat(26)); // 25 + 78 = 103 bytes, 51 characters
    expect(bytes(tooBig)).toBe(103);
    await conn.sendRaw(tooBig);
    expect(seen).toEqual([]);
    expect(conn.closedBy?.code).toBe(1009);
  });

  it("binary frames: exactly at the limit is handled, one byte over closes with 1009", async () => {
    const { definition, seen } = counting({ maxMessageBytes: LIMIT, rateLimit: false });
    const room = testRoom(definition);
    const conn = await room.connect();
    await conn.sendRaw(new Uint8Array(LIMIT));
    expect(seen).toEqual([`bytes:${LIMIT}`]);
    await conn.sendRaw(new Uint8Array(LIMIT + 1));
    expect(seen).toEqual([`bytes:${LIMIT}`]);
    expect(conn.closedBy?.code).toBe(1009);
  });

  it("the default is 1 MiB", async () => {
    const { definition, seen } = counting({ rateLimit: false });
    const room = testRoom(definition);
    const conn = await room.connect();
    const base = echoFrame("").length;
    await conn.sendRaw(echoFrame("a".repeat(1024 * 1024 - base)));
    expect(seen).toHaveLength(1);
    expect(conn.open).toBe(true);
    await conn.sendRaw(echoFrame("a".repeat(1024 * 1024 - base + 1)));
    expect(seen).toHaveLength(1);
    expect(conn.closedBy?.code).toBe(1009);
  });
});

describe("rate limit (default: burst 100, 50/s, closed after 3 s of flooding)", () => {
  async function flood(conn: TestConnection, frames: number) {
    for (let i = 0; i < frames && conn.open; i++) await conn.send("hit");
  }
  const rateLimited = (conn: TestConnection) => errorsOf(conn).filter((error) => error.code === "rate_limited").length;

  it("a burst of 100 passes; the 101st is dropped with exactly one rate_limited frame, however many follow", async () => {
    let clock = 1_000_000;
    const { definition, seen } = counting({});
    const room = testRoom(definition, { now: () => clock });
    const conn = await room.connect();
    await flood(conn, 100);
    expect(seen).toHaveLength(100);
    expect(errorsOf(conn)).toEqual([]);
    await flood(conn, 1);
    expect(seen).toHaveLength(100);
    expect(rateLimited(conn)).toBe(1);
    await flood(conn, 50);
    expect(seen).toHaveLength(100);
    expect(rateLimited(conn)).toBe(1);
    expect(conn.received).toHaveLength(1);
    expect(conn.open).toBe(true);

    // 200 ms later: 10 tokens (50/s) have come back, not more.
    clock += 200;
    await flood(conn, 11);
    expect(seen).toHaveLength(110);
    expect(rateLimited(conn)).toBe(1); // the same flood: not warned again

    // A full quiet second later: 50 more tokens; the flood is over, so the next drop warns again.
    clock += 1000;
    await flood(conn, 50);
    expect(seen).toHaveLength(160);
    expect(rateLimited(conn)).toBe(1);
    await flood(conn, 1);
    expect(seen).toHaveLength(160);
    expect(rateLimited(conn)).toBe(2);
    expect(conn.open).toBe(true);
  });

  it("tokens never refill beyond the burst", async () => {
    let clock = 0;
    const { definition, seen } = counting({});
    const conn = await testRoom(definition, { now: () => clock }).connect();
    clock += 60_000;
    await flood(conn, 101);
    expect(seen).toHaveLength(100);
    expect(rateLimited(conn)).toBe(1);
  });

  it("flooding without pause for closeAfterMs closes with 1008", async () => {
    let clock = 0;
    const { definition, seen } = counting({});
    const conn = await testRoom(definition, { now: () => clock }).connect();
    await flood(conn, 101); // the flood starts at t = 0
    // Every 100 ms: 5 tokens come back, 10 frames are sent.
    while (clock < 2900) {
      clock += 100;
      await flood(conn, 10);
    }
    expect(conn.open).toBe(true);
    expect(seen).toHaveLength(100 + 29 * 5);
    clock += 100; // t = 3000
    await flood(conn, 10);
    expect(conn.open).toBe(false);
    expect(conn.closedBy?.code).toBe(1008);
    expect(rateLimited(conn)).toBe(1);
  });

  it("a custom rate limit is honoured; a drop less than a second after the last keeps the flood going", async () => {
    let clock = 0;
    const { definition, seen } = counting({ rateLimit: { burst: 3, perSecond: 1, closeAfterMs: 2000 } });
    const conn = await testRoom(definition, { now: () => clock }).connect();
    await flood(conn, 5); // t = 0: 3 pass, the flood starts
    expect(seen).toHaveLength(3);
    const steps: [number, number, boolean][] = [];
    for (const t of [500, 1000, 1500, 2000]) {
      clock = t;
      await flood(conn, 2);
      steps.push([t, seen.length, conn.open]);
    }
    expect(steps).toEqual([
      [500, 3, true],
      [1000, 4, true],
      [1500, 4, true],
      [2000, 5, false],
    ]);
    expect(conn.closedBy?.code).toBe(1008);
    expect(rateLimited(conn)).toBe(1);
  });

  it("rateLimit: false disables it", async () => {
    const clock = 0;
    const { definition, seen } = counting({ rateLimit: false });
    const conn = await testRoom(definition, { now: () => clock }).connect();
    await flood(conn, 500);
    expect(seen).toHaveLength(500);
    expect(errorsOf(conn)).toEqual([]);
    expect(conn.open).toBe(true);
  });

  it("each connection has its own bucket", async () => {
    const clock = 0;
    const { definition, seen } = counting({});
    const room = testRoom(definition, { now: () => clock });
    const a = await room.connect();
    const b = await room.connect();
    await flood(a, 101);
    await flood(b, 100);
    expect(seen).toHaveLength(200);
    expect(rateLimited(a)).toBe(1);
    expect(rateLimited(b)).toBe(0);
  });
});

describe("maxConnections", () => {
  function smallRoom() {
    const connects: string[] = [];
    const closes: string[] = [];
    const definition = defineRoom({
      upgrade: (request) => ({ name: new URL(request.url).searchParams.get("name") ?? "" }),
      emits: { joined: v.object({ name: v.string() }), left: v.object({ name: v.string() }) },
      connect(connection, room) {
        connects.push(connection.data.name);
        room.broadcast("joined", { name: connection.data.name }, { except: connection });
      },
      close(connection, room) {
        closes.push(connection.data.name);
        room.broadcast("left", { name: connection.data.name });
      },
      limits: { maxConnections: 2 },
    });
    return { room: testRoom(definition), connects, closes };
  }

  it("one more than the max is closed with 1013 and connect never runs for it", async () => {
    const { room, connects } = smallRoom();
    const a = await room.connect("?name=a");
    const b = await room.connect("?name=b");
    const c = await room.connect("?name=c");
    expect(c.open).toBe(false);
    expect(c.closedBy?.code).toBe(1013);
    expect(connects).toEqual(["a", "b"]);
    expect(a.open && b.open).toBe(true);
    expect(a.events("joined")).toEqual([{ name: "b" }]);
  });

  it("once someone leaves there is room again", async () => {
    const { room, connects } = smallRoom();
    const a = await room.connect("?name=a");
    await room.connect("?name=b");
    await a.close(1000);
    const d = await room.connect("?name=d");
    expect(d.open).toBe(true);
    expect(connects).toEqual(["a", "b", "d"]);
  });

  it("a connection refused as room full never reaches the close hook (others see no 'left' for a peer that never joined)", async () => {
    const { room, closes } = smallRoom();
    const a = await room.connect("?name=a");
    await room.connect("?name=b");
    await room.connect("?name=c");
    expect(a.events("left")).toEqual([]);
    expect(closes).toEqual([]);
  });
});

describe("connection data budget", () => {
  /** The attachment is {"id":"<uuid>","data":…}: 52 bytes around the data JSON, plus the closing brace. */
  const overhead = JSON.stringify({ id: crypto.randomUUID(), data: null }).length - "null".length;

  function budgetRoom() {
    const reports: { error: unknown; during: string }[] = [];
    const definition = defineRoom({
      // (request: Request) annotated: see types.test.ts for reply handlers losing the data type otherwise.
      upgrade: (request: Request) => ({ blob: "x".repeat(Number(new URL(request.url).searchParams.get("n"))) }),
      requests: { grow: v.object({ n: v.number() }), me: v.optional(v.object({})) },
      replies: {
        grow({ n }, connection) {
          try {
            connection.setData({ blob: "y".repeat(n) });
            return { ok: true };
          } catch (error) {
            return { ok: false, limitError: error instanceof LimitError, message: (error as Error).message };
          }
        },
        me: (_data, connection) => connection.data.blob.length,
      },
      error: (error, context) => void reports.push({ error, during: context.during }),
    });
    return { room: testRoom(definition), reports };
  }
  const blobSize = (total: number) => total - overhead - JSON.stringify({ blob: "" }).length;

  it("data whose attachment is exactly the budget is accepted", async () => {
    const { room } = budgetRoom();
    const conn = await room.connect(`?n=${blobSize(CONNECTION_DATA_BUDGET)}`);
    expect(conn.open).toBe(true);
    expect(JSON.stringify({ id: conn.id, data: conn.data }).length).toBe(CONNECTION_DATA_BUDGET);
  });

  it("upgrade data over 16 KiB refuses with 500 and reports a LimitError naming the budget", async () => {
    const { room, reports } = budgetRoom();
    const refusal = await room.connect(`?n=${blobSize(CONNECTION_DATA_BUDGET) + 1}`).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect((refusal as RefusedError).response.status).toBe(500);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.during).toBe("upgrade");
    expect(reports[0]!.error).toBeInstanceOf(LimitError);
    expect((reports[0]!.error as Error).message).toContain(String(CONNECTION_DATA_BUDGET));
    expect((reports[0]!.error as Error).message).toContain(String(CONNECTION_DATA_BUDGET + 1));
  });

  it("the budget counts UTF-8 bytes, not characters", async () => {
    const reports: unknown[] = [];
    const room = (text: string) =>
      testRoom(defineRoom({ upgrade: () => ({ text }), error: (error) => void reports.push(error) }));
    // 8200 × "e" fits; 8200 × "é" is 16,400 bytes in the same number of characters.
    expect((await room("e".repeat(8200)).connect()).open).toBe(true);
    const refusal = await room("é".repeat(8200))
      .connect()
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toBeInstanceOf(LimitError);
  });

  it("setData over the budget throws LimitError and keeps the old data", async () => {
    const { room } = budgetRoom();
    const conn = await room.connect("?n=10");
    const result = await conn.request("grow", { n: 20_000 });
    expect(result).toMatchObject({ ok: false, limitError: true });
    expect(result.message).toContain(String(CONNECTION_DATA_BUDGET));
    expect(conn.data).toEqual({ blob: "x".repeat(10) });
    expect(await conn.request("me")).toBe(10);
    expect(await conn.request("grow", { n: 30 })).toEqual({ ok: true });
    expect(await conn.request("me")).toBe(30);
  });
});

describe("tags limits", () => {
  async function withTags(tags: string[]) {
    const reports: unknown[] = [];
    const room = testRoom(defineRoom({ tags: () => tags, error: (error) => void reports.push(error) }));
    const outcome = await room.connect().then(
      (conn) => ({ ok: true as const, tags: conn }),
      (error: unknown) => ({ ok: false as const, status: (error as RefusedError).response.status }),
    );
    return { outcome, reports };
  }

  it("10 tags of 256 characters are accepted", async () => {
    const { outcome, reports } = await withTags(Array.from({ length: 10 }, (_, i) => String(i).padEnd(256, "t")));
    expect(outcome.ok).toBe(true);
    expect(reports).toEqual([]);
  });

  it.each([
    ["11 tags", Array.from({ length: 11 }, (_, i) => `t${i}`)],
    ["an empty tag", ["ok", ""]],
    ["a tag of 257 characters", ["t".repeat(257)]],
  ])("%s refuse the connection with 500 and a LimitError", async (_label, tags) => {
    const { outcome, reports } = await withTags(tags);
    expect(outcome).toEqual({ ok: false, status: 500 });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toBeInstanceOf(LimitError);
  });
});

describe("storage limits", () => {
  const storage = () => testRoom(defineRoom({})).storage;

  it("a key of 2048 bytes is fine; 2049 bytes throws LimitError", async () => {
    const s = storage();
    await s.put("k".repeat(MAX_KEY_BYTES), 1);
    expect(await s.get("k".repeat(MAX_KEY_BYTES))).toBe(1);
    await expect(s.put("k".repeat(MAX_KEY_BYTES + 1), 1)).rejects.toBeInstanceOf(LimitError);
    await expect(s.get("k".repeat(MAX_KEY_BYTES + 1))).rejects.toBeInstanceOf(LimitError);
    await expect(s.delete("k".repeat(MAX_KEY_BYTES + 1))).rejects.toBeInstanceOf(LimitError);
  });

  it("key size is counted in UTF-8 bytes", async () => {
    const s = storage();
    const key = "€".repeat(683); // 683 characters, 2049 bytes
    await expect(s.put(key, 1)).rejects.toBeInstanceOf(LimitError);
    expect(await s.list()).toEqual(new Map());
  });

  it("a value of 128 KiB as JSON is fine; one byte more throws LimitError and stores nothing", async () => {
    const s = storage();
    const fits = "v".repeat(MAX_VALUE_BYTES - 2); // plus the two quotes
    await s.put("a", fits);
    expect(((await s.get<string>("a")) ?? "").length).toBe(MAX_VALUE_BYTES - 2);
    const error = await s.put("b", fits + "v").catch((error: unknown) => error);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as Error).message).toContain(String(MAX_VALUE_BYTES));
    expect(await s.get("b")).toBeUndefined();
  });

  it("putting undefined throws TypeError (delete removes keys); so do functions and empty keys", async () => {
    const s = storage();
    await s.put("x", 1);
    await expect(s.put("x", undefined)).rejects.toBeInstanceOf(TypeError);
    expect(await s.get("x")).toBe(1);
    await expect(s.put("f", () => 1)).rejects.toBeInstanceOf(TypeError);
    await expect(s.put("", 1)).rejects.toBeInstanceOf(TypeError);
  });

  it("list limit must be a positive integer", async () => {
    const s = storage();
    await expect(s.list({ limit: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(s.list({ limit: 1.5 })).rejects.toBeInstanceOf(RangeError);
    await expect(s.list({ limit: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});
