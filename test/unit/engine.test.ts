import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineRoom, RoomError, type ErrorContext, type RoomAddress } from "../../src/index.ts";
import { RefusedError, ReplyError, testRoom } from "../../src/testing/index.ts";
import { errorsOf, framesOf, since } from "./helpers.ts";

/** Every handler kind goes through `testRoom`, the same engine the adapters drive. */

describe("upgrade", () => {
  it("returns the connection's initial data, which connect and later handlers see", async () => {
    const seen: { request?: string; header?: string | null; address?: RoomAddress; atConnect?: unknown } = {};
    const room = testRoom(
      defineRoom({
        upgrade(request, address) {
          seen.request = request.url;
          seen.header = request.headers.get("x-team");
          seen.address = address;
          return { user: new URL(request.url).searchParams.get("user") ?? "", team: request.headers.get("x-team") };
        },
        connect(connection) {
          seen.atConnect = connection.data;
        },
      }),
      { type: "lobby", name: "main" },
    );
    const conn = await room.connect("?user=ann", { "x-team": "red" });
    expect(conn.data).toEqual({ user: "ann", team: "red" });
    expect(seen.atConnect).toEqual({ user: "ann", team: "red" });
    expect(seen.request).toBe("http://room.test/rooms/lobby/main?user=ann");
    expect(seen.address).toEqual({ type: "lobby", name: "main" });
    expect(conn.open).toBe(true);
    expect(conn.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses with the Response it returns; connect never runs", async () => {
    let connects = 0;
    const room = testRoom(
      defineRoom({
        upgrade: () => new Response("go away", { status: 403, headers: { "x-why": "banned" } }),
        connect() {
          connects++;
        },
      }),
    );
    const refusal = await room.connect("?user=ann").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RefusedError);
    const response = (refusal as RefusedError).response;
    expect(response.status).toBe(403);
    expect(response.headers.get("x-why")).toBe("banned");
    expect(await response.text()).toBe("go away");
    expect(connects).toBe(0);
  });

  it("throwing refuses with 500 and reports the original error to the error hook during upgrade", async () => {
    const boom = new Error("database is down: password=hunter2");
    const reports: { error: unknown; context: ErrorContext<unknown, unknown> }[] = [];
    let connects = 0;
    const room = testRoom(
      defineRoom({
        upgrade(): { user: string } {
          throw boom;
        },
        connect() {
          connects++;
        },
        error(error, context) {
          reports.push({ error, context });
        },
      }),
    );
    const refusal = await room.connect().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RefusedError);
    const response = (refusal as RefusedError).response;
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("hunter2");
    expect(reports).toHaveLength(1);
    expect(reports[0]!.error).toBe(boom);
    expect(reports[0]!.context.during).toBe("upgrade");
    expect(reports[0]!.context.room).toBeUndefined();
    expect(connects).toBe(0);
  });

  it("an async upgrade hook works like a sync one", async () => {
    const room = testRoom(defineRoom({ upgrade: async () => ({ n: 1 }) }));
    expect((await room.connect()).data).toEqual({ n: 1 });
    const refusing = testRoom(defineRoom({ upgrade: async () => new Response(null, { status: 401 }) }));
    await expect(refusing.connect()).rejects.toMatchObject({ response: { status: 401 } });
  });

  it("without an upgrade hook the data is {}", async () => {
    const room = testRoom(defineRoom({}));
    expect((await room.connect()).data).toEqual({});
  });
});

describe("connect", () => {
  it("runs once per connection with that connection; it may send to it", async () => {
    const ids: string[] = [];
    const room = testRoom(
      defineRoom({
        emits: { hello: v.object({ id: v.string() }) },
        connect(connection) {
          ids.push(connection.id);
          connection.send("hello", { id: connection.id });
        },
      }),
    );
    const a = await room.connect();
    const b = await room.connect();
    expect(ids).toEqual([a.id, b.id]);
    expect(a.received).toEqual([{ type: "hello", data: { id: a.id } }]);
    expect(b.received).toEqual([{ type: "hello", data: { id: b.id } }]);
  });

  it("a throwing connect hook sends internal and reports during connect", async () => {
    const reports: string[] = [];
    const room = testRoom(
      defineRoom({
        connect() {
          throw new Error("secret");
        },
        error(_error, context) {
          reports.push(context.during);
        },
      }),
    );
    const conn = await room.connect();
    expect(errorsOf(conn).map((error) => error.code)).toEqual(["internal"]);
    expect(reports).toEqual(["connect"]);
  });
});

describe("events and requests", () => {
  const calls: string[] = [];
  const definition = defineRoom({
    events: {
      say: v.object({ text: v.string() }),
      shout: v.object({ text: v.pipe(v.string(), v.transform((text) => text.toUpperCase())) }),
      poke: v.optional(v.object({})),
    },
    requests: {
      add: v.object({ a: v.number(), b: v.number() }),
      slow: v.object({ n: v.number() }),
      nothing: v.optional(v.null()),
    },
    emits: { said: v.object({ text: v.string(), by: v.string() }) },
    on: {
      say({ text }, connection, room) {
        calls.push(`say:${text}`);
        room.broadcast("said", { text, by: connection.id });
      },
      shout({ text }, connection, room) {
        calls.push(`shout:${text}`);
        room.broadcast("said", { text, by: connection.id });
      },
      poke(data) {
        calls.push(`poke:${JSON.stringify(data)}`);
      },
    },
    replies: {
      add: ({ a, b }) => a + b,
      slow: async ({ n }, _connection, room) => {
        await room.storage.put("n", n);
        return { doubled: ((await room.storage.get<number>("n")) ?? 0) * 2 };
      },
      nothing: () => undefined,
    },
  });

  it("each event type reaches its own handler with the schema's output", async () => {
    calls.length = 0;
    const room = testRoom(definition);
    const a = await room.connect();
    const b = await room.connect();
    await a.send("say", { text: "hi" });
    await b.send("shout", { text: "hey" });
    await a.send("poke");
    expect(calls).toEqual(["say:hi", "shout:HEY", "poke:undefined"]);
    expect(a.events("said")).toEqual([
      { text: "hi", by: a.id },
      { text: "HEY", by: b.id },
    ]);
    expect(b.events("said")).toEqual(a.events("said"));
  });

  it("a request's return value is the reply's data, sync or async; undefined becomes null", async () => {
    const room = testRoom(definition);
    const conn = await room.connect();
    expect(await conn.request("add", { a: 2, b: 3 })).toBe(5);
    expect(await conn.request("slow", { n: 21 })).toEqual({ doubled: 42 });
    expect(await conn.request("nothing")).toBeNull();
    expect(await room.storage.get("n")).toBe(21);
    expect(framesOf(conn)).toEqual([
      { type: "reply", id: "1", data: 5 },
      { type: "reply", id: "2", data: { doubled: 42 } },
      { type: "reply", id: "3", data: null },
    ]);
  });

  it("a numeric request id is echoed as a number", async () => {
    const room = testRoom(definition);
    const conn = await room.connect();
    await conn.sendRaw(JSON.stringify({ type: "add", id: 7, data: { a: 1, b: 1 } }));
    expect(conn.received).toEqual([{ type: "reply", id: 7, data: 2 }]);
  });

  it("handlers run one at a time in arrival order, even when they await", async () => {
    const order: string[] = [];
    const room = testRoom(
      defineRoom({
        events: { step: v.object({ n: v.number() }) },
        on: {
          async step({ n }, _connection, room) {
            order.push(`start ${n}`);
            const list = (await room.storage.get<number[]>("list")) ?? [];
            await new Promise((resolve) => setTimeout(resolve, n === 1 ? 5 : 0));
            await room.storage.put("list", [...list, n]);
            order.push(`end ${n}`);
          },
        },
      }),
    );
    const conn = await room.connect();
    await Promise.all([conn.send("step", { n: 1 }), conn.send("step", { n: 2 }), conn.send("step", { n: 3 })]);
    expect(order).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    expect(await room.storage.get("list")).toEqual([1, 2, 3]);
  });
});

describe("binary", () => {
  it("a binary handler receives the bytes as a Uint8Array and may answer with bytes", async () => {
    const got: unknown[] = [];
    const room = testRoom(
      defineRoom({
        binary(bytes, connection) {
          got.push(bytes);
          connection.sendBinary(bytes.map((byte) => byte + 1));
        },
      }),
    );
    const conn = await room.connect();
    await conn.sendRaw(new Uint8Array([1, 2, 3]));
    expect(got).toHaveLength(1);
    expect(got[0]).toBeInstanceOf(Uint8Array);
    expect([...(got[0] as Uint8Array)]).toEqual([1, 2, 3]);
    expect(conn.received).toHaveLength(1);
    expect(conn.received[0]).toBeInstanceOf(Uint8Array);
    expect([...(conn.received[0] as Uint8Array)]).toEqual([2, 3, 4]);
  });

  it("without a binary handler a binary frame is answered with unsupported, and the connection stays open", async () => {
    const room = testRoom(defineRoom({ events: { e: v.optional(v.object({})) }, on: { e: (_d, c) => void c.send("ok", {}) } }));
    const conn = await room.connect();
    await conn.sendRaw(new Uint8Array([1]));
    expect(errorsOf(conn).map((error) => error.code)).toEqual(["unsupported"]);
    expect(conn.open).toBe(true);
    await conn.send("e");
    expect(conn.events("ok")).toHaveLength(1);
  });
});

describe("http", () => {
  it("room.fetch reaches the http handler with the request and the room", async () => {
    const room = testRoom(
      defineRoom({
        async http(request, room) {
          const count = ((await room.storage.get<number>("hits")) ?? 0) + 1;
          await room.storage.put("hits", count);
          return Response.json({ method: request.method, q: new URL(request.url).searchParams.get("q"), count, room: room.name });
        },
      }),
      { name: "r1" },
    );
    const first = await room.fetch("/rooms/room/r1?q=1");
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ method: "GET", q: "1", count: 1, room: "r1" });
    const second = await room.fetch("/rooms/room/r1", { method: "POST", body: "x" });
    expect(await second.json()).toEqual({ method: "POST", q: null, count: 2, room: "r1" });
  });

  it("without an http handler a plain request gets 426", async () => {
    const room = testRoom(defineRoom({}));
    expect((await room.fetch("/")).status).toBe(426);
  });

  it("a throwing http handler gives 500 and reports during http", async () => {
    const reports: string[] = [];
    const room = testRoom(
      defineRoom({
        http() {
          throw new Error("nope");
        },
        error(_error, context) {
          reports.push(context.during);
        },
      }),
    );
    const response = await room.fetch("/");
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("nope");
    expect(reports).toEqual(["http"]);
  });
});

describe("close", () => {
  function closingRoom() {
    const closes: { id: string; code: number; reason: string; listed: string[]; data: unknown }[] = [];
    const room = testRoom(
      defineRoom({
        upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user") }),
        close(connection, room, info) {
          closes.push({ id: connection.id, ...info, listed: room.connections().map((c) => c.id), data: connection.data });
        },
      }),
    );
    return { room, closes };
  }

  it("the hook gets the client's code and reason; the closing connection is no longer listed", async () => {
    const { room, closes } = closingRoom();
    const a = await room.connect("?user=a");
    const b = await room.connect("?user=b");
    await a.close(4000, "done");
    expect(closes).toEqual([{ id: a.id, code: 4000, reason: "done", listed: [b.id], data: { user: "a" } }]);
    expect(a.open).toBe(false);
    expect(b.open).toBe(true);
  });

  it("a close without a code is 1005, a dropped link is 1006", async () => {
    const { room, closes } = closingRoom();
    const a = await room.connect();
    const b = await room.connect();
    await a.close();
    await b.drop();
    expect(closes.map(({ id, code }) => ({ id, code }))).toEqual([
      { id: a.id, code: 1005 },
      { id: b.id, code: 1006 },
    ]);
  });

  it("connection.close(4001, 'bye') closes it from the server side and the hook sees that code", async () => {
    const closes: { code: number; reason: string }[] = [];
    const room = testRoom(
      defineRoom({
        events: { kick: v.optional(v.object({})) },
        on: { kick: (_data, connection) => connection.close(4001, "bye") },
        close: (_connection, _room, info) => void closes.push(info),
      }),
    );
    const conn = await room.connect();
    await conn.send("kick");
    expect(conn.closedBy).toEqual({ code: 4001, reason: "bye" });
    expect(conn.open).toBe(false);
    expect(closes).toEqual([{ code: 4001, reason: "bye" }]);
  });

  it("a server close runs the hook once, with the server's code, whatever the client does next", async () => {
    const closes: number[] = [];
    const room = testRoom(
      defineRoom({
        events: { kick: v.optional(v.object({})) },
        on: { kick: (_data, connection) => connection.close(4002, "out") },
        close: (_connection, _room, info) => void closes.push(info.code),
      }),
    );
    const conn = await room.connect();
    await conn.send("kick");
    await conn.close(1000);
    await conn.drop();
    expect(closes).toEqual([4002]);
  });

  it("connection.close() defaults to 1000", async () => {
    const room = testRoom(
      defineRoom({ events: { bye: v.optional(v.object({})) }, on: { bye: (_data, connection) => connection.close() } }),
    );
    const conn = await room.connect();
    await conn.send("bye");
    expect(conn.closedBy).toEqual({ code: 1000, reason: "" });
  });

  it("the close hook runs once even if the connection is closed twice", async () => {
    const { room, closes } = closingRoom();
    const a = await room.connect();
    await a.close(1000);
    await a.close(1000);
    await a.drop();
    expect(closes).toHaveLength(1);
  });
});

describe("errors thrown by handlers", () => {
  function failingRoom() {
    const reports: { error: unknown; during: string; connection?: string; hasRoom: boolean }[] = [];
    const boom = new Error("SECRET_TOKEN=abc123");
    const definition = defineRoom({
      events: {
        crash: v.optional(v.object({})),
        deny: v.optional(v.object({})),
        ok: v.optional(v.object({})),
        crashAsync: v.optional(v.object({})),
      },
      requests: { crash: v.optional(v.object({})), deny: v.optional(v.object({})) },
      on: {
        crash() {
          throw boom;
        },
        async crashAsync() {
          await Promise.resolve();
          throw boom;
        },
        deny() {
          throw new RoomError("forbidden", "Only admins may do that.");
        },
        ok: (_data, connection) => void connection.send("ok", {}),
      },
      replies: {
        crash() {
          throw boom;
        },
        deny() {
          throw new RoomError("forbidden", "Not yours.");
        },
      },
      error(error, context) {
        reports.push({ error, during: context.during, connection: context.connection?.id, hasRoom: context.room !== undefined });
      },
    });
    return { room: testRoom(definition), reports, boom };
  }

  it("a throwing event handler: the client gets a generic internal error, the hook gets the original", async () => {
    const { room, reports, boom } = failingRoom();
    const conn = await room.connect();
    await conn.send("crash");
    expect(conn.received).toHaveLength(1);
    expect(conn.received[0]).toMatchObject({ type: "error", error: { code: "internal" } });
    const [error] = errorsOf(conn);
    expect(error!.message).not.toContain("SECRET");
    expect(error!.message).not.toContain("abc123");
    expect(JSON.stringify(conn.received)).not.toContain("abc123");
    expect(reports).toEqual([{ error: boom, during: "event", connection: conn.id, hasRoom: true }]);
    await conn.send("ok");
    expect(conn.events("ok")).toHaveLength(1);
  });

  it("an async event handler that rejects is handled the same way", async () => {
    const { room, reports, boom } = failingRoom();
    const conn = await room.connect();
    await conn.send("crashAsync");
    expect(errorsOf(conn).map((error) => error.code)).toEqual(["internal"]);
    expect(reports.map((report) => [report.error, report.during])).toEqual([[boom, "event"]]);
  });

  it("a throwing request handler fails the reply with internal and reports during request", async () => {
    const { room, reports, boom } = failingRoom();
    const conn = await room.connect();
    const failure = await conn.request("crash").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReplyError);
    expect((failure as ReplyError).code).toBe("internal");
    expect((failure as ReplyError).body.message).not.toContain("SECRET");
    expect(conn.received).toEqual([{ type: "reply", id: "1", error: { code: "internal", message: expect.any(String) } }]);
    expect(reports).toEqual([{ error: boom, during: "request", connection: conn.id, hasRoom: true }]);
  });

  it("RoomError reaches the client with its code and message; the error hook is not called", async () => {
    const { room, reports } = failingRoom();
    const conn = await room.connect();
    await conn.send("deny");
    expect(conn.received).toEqual([{ type: "error", error: { code: "forbidden", message: "Only admins may do that." } }]);
    await expect(conn.request("deny")).rejects.toMatchObject({ code: "forbidden", body: { message: "Not yours." } });
    expect(reports).toEqual([]);
    expect(conn.open).toBe(true);
  });
});

describe("alarm", () => {
  const definition = defineRoom({
    events: { at: v.object({ when: v.number(), asDate: v.boolean() }), cancel: v.optional(v.object({})) },
    requests: { when: v.optional(v.object({})) },
    emits: { rang: v.object({ count: v.number() }) },
    on: {
      async at({ when, asDate }, _connection, room) {
        await room.setAlarm(asDate ? new Date(when) : when);
      },
      async cancel(_data, _connection, room) {
        await room.deleteAlarm();
      },
    },
    replies: { when: (_data, _connection, room) => room.getAlarm() },
    async alarm(room) {
      const count = ((await room.storage.get<number>("rang")) ?? 0) + 1;
      await room.storage.put("rang", count);
      room.broadcast("rang", { count });
    },
  });

  it("setAlarm with a Date or a number sets alarmAt; getAlarm and deleteAlarm see it", async () => {
    const room = testRoom(definition);
    const conn = await room.connect();
    expect(room.alarmAt).toBeNull();
    await conn.send("at", { when: Date.UTC(2030, 0, 1), asDate: true });
    expect(room.alarmAt).toBe(Date.UTC(2030, 0, 1));
    expect(await conn.request("when")).toBe(Date.UTC(2030, 0, 1));
    await conn.send("at", { when: 1234, asDate: false });
    expect(room.alarmAt).toBe(1234);
    await conn.send("cancel");
    expect(await conn.request("when")).toBeNull();
    // The runtime alarm may still ring once; nothing runs then, and it is cleared.
    await room.fireAlarm();
    expect(await room.storage.get("rang")).toBeUndefined();
    expect(room.alarmAt).toBeNull();
  });

  it("fireAlarm runs the alarm handler with the room", async () => {
    const room = testRoom(definition);
    const conn = await room.connect();
    await conn.send("at", { when: 99, asDate: false });
    await room.fireAlarm();
    expect(room.alarmAt).toBeNull();
    expect(await room.storage.get("rang")).toBe(1);
    // It ran once: ringing again runs nothing until the alarm is set again.
    await room.fireAlarm();
    expect(await room.storage.get("rang")).toBe(1);
    await conn.send("at", { when: 100, asDate: false });
    await room.fireAlarm();
    expect(conn.events("rang")).toEqual([{ count: 1 }, { count: 2 }]);
  });

  it("a throwing alarm handler is reported during alarm", async () => {
    const reports: string[] = [];
    const room = testRoom(
      defineRoom({
        alarm() {
          throw new Error("x");
        },
        error: (_error, context) => void reports.push(context.during),
      }),
    );
    await room.fireAlarm();
    expect(reports).toEqual(["alarm"]);
  });
});

describe("room.broadcast and room.connections", () => {
  const definition = defineRoom({
    upgrade: (request) => ({ name: new URL(request.url).searchParams.get("name") ?? "", role: new URL(request.url).searchParams.get("role") ?? "guest" }),
    tags: (data) => [data.role, `name:${data.name}`],
    events: {
      exceptSelf: v.optional(v.object({})),
      exceptId: v.object({ id: v.string() }),
      exceptMany: v.object({ ids: v.array(v.string()), self: v.boolean() }),
      all: v.optional(v.object({})),
    },
    requests: { list: v.object({ tag: v.optional(v.string()) }) },
    emits: { note: v.object({ from: v.string() }) },
    on: {
      exceptSelf: (_data, connection, room) => room.broadcast("note", { from: connection.data.name }, { except: connection }),
      exceptId: ({ id }, connection, room) => room.broadcast("note", { from: connection.data.name }, { except: id }),
      exceptMany: ({ ids, self }, connection, room) =>
        room.broadcast("note", { from: connection.data.name }, { except: self ? [connection, ...ids] : ids }),
      all: (_data, connection, room) => room.broadcast("note", { from: connection.data.name }),
    },
    replies: {
      list: ({ tag }, _connection, room) => room.connections(tag).map((connection) => connection.data.name),
    },
  });

  async function three() {
    const room = testRoom(definition);
    const a = await room.connect("?name=a&role=admin");
    const b = await room.connect("?name=b");
    const c = await room.connect("?name=c&role=admin");
    return { room, a, b, c };
  }

  const notes = (...conns: { events(type: string): unknown[] }[]) => conns.map((conn) => conn.events("note").length);

  it("without except, every open connection gets it, the sender too", async () => {
    const { a, b, c } = await three();
    await a.send("all");
    expect(notes(a, b, c)).toEqual([1, 1, 1]);
    expect(b.events("note")).toEqual([{ from: "a" }]);
  });

  it("except a connection", async () => {
    const { a, b, c } = await three();
    await a.send("exceptSelf");
    expect(notes(a, b, c)).toEqual([0, 1, 1]);
  });

  it("except an id", async () => {
    const { a, b, c } = await three();
    await a.send("exceptId", { id: b.id });
    expect(notes(a, b, c)).toEqual([1, 0, 1]);
  });

  it("except an array of connections and ids", async () => {
    const { a, b, c } = await three();
    await a.send("exceptMany", { ids: [c.id], self: true });
    expect(notes(a, b, c)).toEqual([0, 1, 0]);
    await b.send("exceptMany", { ids: [a.id, c.id], self: false });
    expect(notes(a, b, c)).toEqual([0, 2, 0]);
  });

  it("closed connections get nothing", async () => {
    const { a, b, c } = await three();
    await b.close(1000);
    await a.send("all");
    expect(notes(a, b, c)).toEqual([1, 0, 1]);
  });

  it("connections(tag) filters by the tags the definition gives", async () => {
    const { a } = await three();
    expect(await a.request("list", {})).toEqual(["a", "b", "c"]);
    expect(await a.request("list", { tag: "admin" })).toEqual(["a", "c"]);
    expect(await a.request("list", { tag: "guest" })).toEqual(["b"]);
    expect(await a.request("list", { tag: "name:c" })).toEqual(["c"]);
    expect(await a.request("list", { tag: "nobody" })).toEqual([]);
  });
});

describe("connection.setData", () => {
  it("new data is visible to later handlers and to the test connection; tags stay", async () => {
    const definition = defineRoom({
        upgrade: () => ({ name: "anon", renames: 0 }),
        tags: () => ["member"],
        events: { rename: v.object({ name: v.string() }) },
        requests: { me: v.optional(v.object({})), members: v.optional(v.object({})) },
        on: {
          rename({ name }, connection) {
            connection.setData({ name, renames: connection.data.renames + 1 });
          },
        },
        replies: {
          me: (_data, connection) => ({ data: connection.data, tags: connection.tags }),
          members: (_data, _connection, room) => room.connections("member").map((connection) => connection.data.name),
        },
      });
    const room = testRoom(definition);
    const conn = await room.connect();
    expect(conn.data).toEqual({ name: "anon", renames: 0 });
    await conn.send("rename", { name: "zoe" });
    expect(conn.data).toEqual({ name: "zoe", renames: 1 });
    expect(await conn.request("me")).toEqual({ data: { name: "zoe", renames: 1 }, tags: ["member"] });
    await conn.send("rename", { name: "zed" });
    expect(await conn.request("members")).toEqual(["zed"]);
    expect(conn.data).toEqual({ name: "zed", renames: 2 });
  });
});

describe("heartbeat", () => {
  it("text ping is answered with text pong and reaches no handler", async () => {
    const reports: string[] = [];
    const room = testRoom(defineRoom({ error: (_error, context) => void reports.push(context.during) }));
    const conn = await room.connect();
    const mark = conn.received.length;
    await conn.sendRaw("ping");
    expect(since(conn, mark)).toEqual(["pong"]);
    expect(reports).toEqual([]);
  });
});
