import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineRoom, RoomError } from "../../src/index.ts";
import { testRoom, type TestConnection } from "../../src/testing/index.ts";
import { errorsOf, since } from "./helpers.ts";

/**
 * Wire protocol v1, error frames: every bad frame gets exactly one error (or a
 * failed reply) and the connection stays open, so a valid event still works.
 */

const echo = defineRoom({
  events: {
    say: v.object({ text: v.string() }),
    crash: v.optional(v.object({})),
    deny: v.optional(v.object({})),
  },
  requests: {
    history: v.object({ limit: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
  },
  emits: { said: v.object({ text: v.string() }) },
  on: {
    say: ({ text }, connection) => void connection.send("said", { text }),
    crash() {
      throw new Error("kaboom: /srv/app/secret.ts:12");
    },
    deny() {
      throw new RoomError("forbidden", "You may not.");
    },
  },
  replies: {
    history: ({ limit }) => Array.from({ length: limit }, (_, index) => index),
  },
  error() {},
});

async function open() {
  const room = testRoom(echo);
  return room.connect();
}

/** Sends `frame` and returns exactly what came back. */
async function exchange(conn: TestConnection, frame: string | Uint8Array) {
  const mark = conn.received.length;
  await conn.sendRaw(frame);
  return since(conn, mark);
}

/** The connection is still open and a later valid event still works. */
async function stillWorks(conn: TestConnection) {
  expect(conn.open).toBe(true);
  expect(conn.closedBy).toBeUndefined();
  expect(await exchange(conn, JSON.stringify({ type: "say", data: { text: "still here" } }))).toEqual([
    { type: "said", data: { text: "still here" } },
  ]);
}

describe("error frames", () => {
  it("bad_json for text that is not JSON", async () => {
    const conn = await open();
    const got = await exchange(conn, "{nope");
    expect(got).toEqual([{ type: "error", error: { code: "bad_json", message: expect.any(String) } }]);
    await stillWorks(conn);
  });

  it.each([
    ["an array", "[1]"],
    ["a non-string type", '{"type":5}'],
    ["an object without type", "{}"],
    ["null", "null"],
    ["a number", "42"],
    ["a string", '"say"'],
  ])("invalid_message for %s", async (_label, frame) => {
    const conn = await open();
    const got = await exchange(conn, frame);
    expect(got).toEqual([{ type: "error", error: { code: "invalid_message", message: expect.any(String) } }]);
    await stillWorks(conn);
  });

  it("invalid_message with valibot issues for event data failing its schema", async () => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "say", data: { text: 5 } }));
    expect(got).toHaveLength(1);
    const [error] = errorsOf(conn);
    expect(error!.code).toBe("invalid_message");
    expect(error!.message).toContain("say");
    expect(Array.isArray(error!.issues)).toBe(true);
    expect(error!.issues![0]!.path).toEqual(["text"]);
    expect(error!.issues![0]!.expected).toBe("string");
    expect(error!.issues![0]!.received).toBe("5");
    await stillWorks(conn);
  });

  it("invalid_message when an event's data is missing entirely", async () => {
    const conn = await open();
    await exchange(conn, JSON.stringify({ type: "say" }));
    expect(errorsOf(conn).map((error) => error.code)).toEqual(["invalid_message"]);
    await stillWorks(conn);
  });

  it("a request with invalid data gets a failed reply with the same id and invalid_message", async () => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "history", id: "r1", data: { limit: 1.5 } }));
    expect(got).toEqual([
      {
        type: "reply",
        id: "r1",
        error: { code: "invalid_message", message: expect.any(String), issues: expect.any(Array) },
      },
    ]);
    const reply = got[0] as { error: { issues: { path?: unknown[] }[] } };
    expect(reply.error.issues[0]!.path).toEqual(["limit"]);
    await stillWorks(conn);
  });

  it.each([
    ["an object", {}],
    ["an empty string", ""],
    ["a string over 128 characters", "x".repeat(129)],
    ["a boolean", true],
    ["null", null],
  ])("a request id that is %s gets an invalid_message error frame (not a reply)", async (_label, id) => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "history", id, data: { limit: 1 } }));
    expect(got).toEqual([{ type: "error", error: { code: "invalid_message", message: expect.any(String) } }]);
    await stillWorks(conn);
  });

  it("request ids of 128 characters and numbers are accepted and echoed", async () => {
    const conn = await open();
    const long = "i".repeat(128);
    expect(await exchange(conn, JSON.stringify({ type: "history", id: long, data: { limit: 2 } }))).toEqual([
      { type: "reply", id: long, data: [0, 1] },
    ]);
    expect(await exchange(conn, JSON.stringify({ type: "history", id: 0, data: { limit: 1 } }))).toEqual([
      { type: "reply", id: 0, data: [0] },
    ]);
  });

  it("unknown_type for an unknown event", async () => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "dance", data: {} }));
    expect(got).toEqual([{ type: "error", error: { code: "unknown_type", message: expect.stringContaining("dance") } }]);
    await stillWorks(conn);
  });

  it.each(["toString", "__proto__", "constructor", "hasOwnProperty"])(
    "unknown_type for the inherited property name %s",
    async (type) => {
      const conn = await open();
      expect(errorsOf(conn)).toEqual([]);
      await exchange(conn, JSON.stringify({ type, data: {} }));
      expect(errorsOf(conn).map((error) => error.code)).toEqual(["unknown_type"]);
      await exchange(conn, JSON.stringify({ type, id: "q", data: {} }));
      expect(conn.received.at(-1)).toMatchObject({ type: "reply", id: "q", error: { code: "unknown_type" } });
      await stillWorks(conn);
    },
  );

  it("unknown_type as a failed reply for an unknown request", async () => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "dance", id: 3, data: {} }));
    expect(got).toEqual([{ type: "reply", id: 3, error: { code: "unknown_type", message: expect.stringContaining("dance") } }]);
    await stillWorks(conn);
  });

  it("an event type sent with an id gets an unknown_type reply saying it is an event", async () => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "say", id: "9", data: { text: "x" } }));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: "reply", id: "9", error: { code: "unknown_type" } });
    expect((got[0] as { error: { message: string } }).error.message).toMatch(/is an event/);
    await stillWorks(conn);
  });

  it("a request type sent without an id gets unknown_type saying it is a request", async () => {
    const conn = await open();
    await exchange(conn, JSON.stringify({ type: "history", data: { limit: 1 } }));
    const [error] = errorsOf(conn);
    expect(error!.code).toBe("unknown_type");
    expect(error!.message).toMatch(/is a request/);
    await stillWorks(conn);
  });

  it("the reserved types reply and error are unknown as client events", async () => {
    const conn = await open();
    await exchange(conn, JSON.stringify({ type: "reply", data: {} }));
    await exchange(conn, JSON.stringify({ type: "error", data: {} }));
    expect(errorsOf(conn).map((error) => error.code)).toEqual(["unknown_type", "unknown_type"]);
    await stillWorks(conn);
  });

  it("unsupported for a binary frame in a room without a binary handler", async () => {
    const conn = await open();
    const got = await exchange(conn, new Uint8Array([0xde, 0xad]));
    expect(got).toEqual([{ type: "error", error: { code: "unsupported", message: expect.any(String) } }]);
    await stillWorks(conn);
  });

  it("rate_limited once the burst is spent; the heartbeat is still answered", async () => {
    const clock = 0;
    const room = testRoom(echo, { now: () => clock });
    const conn = await room.connect();
    for (let i = 0; i < 100; i++) await conn.send("say", { text: String(i) });
    expect(conn.events("said")).toHaveLength(100);
    const got = await exchange(conn, JSON.stringify({ type: "say", data: { text: "one too many" } }));
    expect(got).toEqual([{ type: "error", error: { code: "rate_limited", message: expect.any(String) } }]);
    expect(conn.events("said")).toHaveLength(100);
    expect(conn.open).toBe(true);
    // Heartbeats skip the rate limit (on Cloudflare the runtime answers them without waking the room).
    expect(await exchange(conn, "ping")).toEqual(["pong"]);
  });

  it("internal for a throwing handler, without the thrown message", async () => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "crash" }));
    expect(got).toEqual([{ type: "error", error: { code: "internal", message: expect.any(String) } }]);
    expect(JSON.stringify(got)).not.toMatch(/kaboom|secret|srv/);
    await stillWorks(conn);
  });

  it("forbidden via RoomError, with its message", async () => {
    const conn = await open();
    const got = await exchange(conn, JSON.stringify({ type: "deny" }));
    expect(got).toEqual([{ type: "error", error: { code: "forbidden", message: "You may not." } }]);
    await stillWorks(conn);
  });

  it("heartbeat: text ping gets text pong, and only that", async () => {
    const conn = await open();
    expect(await exchange(conn, "ping")).toEqual(["pong"]);
    expect(await exchange(conn, "ping")).toEqual(["pong"]);
    await stillWorks(conn);
  });

  it("PING in other cases or padded is not the heartbeat", async () => {
    const conn = await open();
    expect(await exchange(conn, "PING")).toEqual([{ type: "error", error: { code: "bad_json", message: expect.any(String) } }]);
    expect(await exchange(conn, " ping")).toEqual([{ type: "error", error: { code: "bad_json", message: expect.any(String) } }]);
  });
});

describe("seqOf: the event number at the end of a frame", () => {
  it("reads numbered events and resume/resync frames, and nothing else", async () => {
    const { numberedFrame, sequenceFrame, eventFrame, replyFrame, seqOf } = await import("../../src/protocol.ts");
    expect(seqOf(numberedFrame("said", { text: "hi", seq: 3 }, 41))).toBe(41);
    expect(seqOf(numberedFrame("ping", undefined, 7))).toBe(7);
    expect(seqOf(sequenceFrame("resume", 12))).toBe(12);
    expect(seqOf(sequenceFrame("resync", 0))).toBe(0);
    // Data that ends with a "seq" of its own is not a frame's number.
    expect(seqOf(eventFrame("said", { seq: 5 }))).toBeUndefined();
    expect(seqOf(replyFrame("r1", { seq: 5 }))).toBeUndefined();
    expect(seqOf(eventFrame("x", "a,\"seq\":9}"))).toBeUndefined();
    expect(seqOf(numberedFrame("said", { pad: "x".repeat(1000) }, 123456))).toBe(123456);
  });
});
