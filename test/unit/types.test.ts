import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  defineRoom,
  RoomError,
  type CloseInfo,
  type Connection,
  type HookName,
  type Room,
  type RoomAddress,
} from "../../src/index.ts";
import { testRoom, type EventFrame, type ErrorFrame, type Received, type TestConnection, type TestRoom } from "../../src/testing/index.ts";
import { chat } from "../../examples/chat/room.ts";

/**
 * Type tests: `npx tsc --noEmit -p .` checks them (including every
 * `@ts-expect-error`, which fails when the line does NOT error). At run time
 * only the definitions are built; the handlers never run.
 */

type User = { user: string; admin: boolean };

describe("types inferred by defineRoom", () => {
  it("handler data types come from the schemas (their output)", () => {
    const room = defineRoom({
      events: {
        say: v.object({ text: v.string() }),
        shout: v.pipe(v.string(), v.transform((text) => text.length)),
        poke: v.optional(v.object({ times: v.optional(v.number()) })),
      },
      requests: {
        add: v.object({ a: v.number(), b: v.number() }),
        find: v.union([v.literal("first"), v.literal("last")]),
      },
      on: {
        say(data) {
          expectTypeOf(data).toEqualTypeOf<{ text: string }>();
        },
        shout(data) {
          expectTypeOf(data).toEqualTypeOf<number>();
        },
        poke(data) {
          expectTypeOf(data).toEqualTypeOf<{ times?: number | undefined } | undefined>();
        },
      },
      replies: {
        add(data) {
          expectTypeOf(data).toEqualTypeOf<{ a: number; b: number }>();
          return data.a + data.b;
        },
        find(data) {
          expectTypeOf(data).toEqualTypeOf<"first" | "last">();
          return data;
        },
      },
    });
    expect(Object.keys(room.on ?? {})).toEqual(["say", "shout", "poke"]);
  });

  it("connection.data comes from what upgrade returns (without the refusing Response)", () => {
    const room = defineRoom({
      upgrade: (): User | Response => ({ user: "ann", admin: false }),
      events: { say: v.object({ text: v.string() }) },
      requests: { me: v.optional(v.object({})) },
      tags(data) {
        expectTypeOf(data).toEqualTypeOf<User>();
        return [data.user];
      },
      connect(connection, room) {
        expectTypeOf(connection.data).toEqualTypeOf<User>();
        expectTypeOf(room.connections()[0]!.data).toEqualTypeOf<User>();
        expectTypeOf(connection.setData).parameter(0).toEqualTypeOf<User>();
        // @ts-expect-error the data must keep its shape
        connection.setData({ user: "x" });
      },
      on: {
        say(_data, connection) {
          expectTypeOf(connection.data).toEqualTypeOf<User>();
        },
      },
      replies: {
        me(_data, connection) {
          expectTypeOf(connection.data).toEqualTypeOf<User>();
          return connection.data;
        },
      },
      close(connection, _room, info) {
        expectTypeOf(connection.data).toEqualTypeOf<User>();
        expectTypeOf(info).toEqualTypeOf<CloseInfo>();
      },
      error(error, context) {
        expectTypeOf(error).toBeUnknown();
        expectTypeOf(context.during).toEqualTypeOf<HookName>();
        expectTypeOf(context.connection).toEqualTypeOf<Connection<User, Record<string, unknown>> | undefined>();
      },
    });
    expect(typeof room.upgrade).toBe("function");
  });

  it("the chat room's connection data is { user: string } in every handler", () => {
    type ChatConnect = NonNullable<typeof chat.connect>;
    expectTypeOf<Parameters<ChatConnect>[0]["data"]>().toEqualTypeOf<{ user: string }>();
    type ChatClose = NonNullable<typeof chat.close>;
    expectTypeOf<Parameters<ChatClose>[0]["data"]>().toEqualTypeOf<{ user: string }>();
    expect(chat.replies).toBeDefined();
  });

  it("an upgrade hook with an un-annotated request parameter types the data in on and in replies", () => {
    // Like the chat room's `upgrade(request)`: the hook is context-sensitive.
    const room = defineRoom({
      upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user") ?? "" }),
      events: { say: v.object({ text: v.string() }) },
      requests: { me: v.optional(v.object({})) },
      on: {
        say(_data, connection) {
          expectTypeOf(connection.data).toEqualTypeOf<{ user: string }>();
        },
      },
      replies: {
        me(_data, connection) {
          expectTypeOf(connection.data).toEqualTypeOf<{ user: string }>();
          return connection.data.user;
        },
      },
    });
    expect(typeof room.replies?.me).toBe("function");
  });

  it("a definition written inline as testRoom's argument keeps its reply handlers typed", () => {
    const room = testRoom(
      defineRoom({
        upgrade: () => ({ user: "ann" }),
        requests: { add: v.object({ a: v.number(), b: v.number() }) },
        replies: {
          // Inline in testRoom(...), whose parameter is AnyRoomDefinition, inference must not fall back to any.
          add: (data, connection) => {
            expectTypeOf(data).toEqualTypeOf<{ a: number; b: number }>();
            expectTypeOf(connection.data).toEqualTypeOf<{ user: string }>();
            return data.a + data.b;
          },
        },
      }),
    );
    expect(room.type).toBe("room");
  });
});

type Said = { user: string; text: string; at: number };
type Peer = { id: string; user: string };

/**
 * Only type-checked, never called: each `@ts-expect-error` line would send a
 * frame the room refuses.
 */
async function testConnectionChecks(alice: TestConnection<typeof chat>): Promise<void> {
  // send: the room's events, with their schema input types.
  expectTypeOf(alice.send("say", { text: "hi" })).toEqualTypeOf<Promise<void>>();
  // @ts-expect-error: no such event
  await alice.send("shout", { text: "hi" });
  // @ts-expect-error: text must be a string
  await alice.send("say", { text: 42 });
  // @ts-expect-error: a field the schema does not have
  await alice.send("say", { message: "hi" });
  // @ts-expect-error: say needs its data
  await alice.send("say");
  // @ts-expect-error: history is a request, not an event
  await alice.send("history", { limit: 5 });

  // request: the room's requests, resolving to what the reply handler returns.
  expectTypeOf(alice.request("history", { limit: 5 })).resolves.toEqualTypeOf<Said[]>();
  expectTypeOf(alice.request("who")).resolves.toEqualTypeOf<{ peers: Peer[] }>();
  expectTypeOf(alice.request("who", {})).resolves.toEqualTypeOf<{ peers: Peer[] }>();
  // @ts-expect-error: no such request
  await alice.request("nope");
  // @ts-expect-error: say is an event, not a request
  await alice.request("say", { text: "hi" });
  // @ts-expect-error: limit must be a number
  await alice.request("history", { limit: "5" });
  // @ts-expect-error: history needs its data
  await alice.request("history");

  // next and events: typed from emits.
  expectTypeOf(alice.next("said")).resolves.toEqualTypeOf<EventFrame<"said", Said>>();
  expectTypeOf(alice.next("joined")).resolves.toEqualTypeOf<EventFrame<"joined", Peer>>();
  expectTypeOf(alice.next("error")).resolves.toEqualTypeOf<ErrorFrame>();
  expectTypeOf(alice.next((frame) => frame instanceof Uint8Array)).resolves.toEqualTypeOf<Uint8Array>();
  expectTypeOf(alice.next((frame) => frame !== "pong")).resolves.toEqualTypeOf<Received>();
  expectTypeOf(alice.events("left")).toEqualTypeOf<Peer[]>();
  // @ts-expect-error: the room emits no "sayd"
  await alice.next("sayd");
  // @ts-expect-error: "say" is what clients send, not what the room emits
  alice.events("say");
  // @ts-expect-error: said carries no "message"
  (await alice.next("said")).data.message;

  // The escape hatches take anything, for tests of bad input.
  await alice.sendRaw(JSON.stringify({ type: "shout", data: 42 }));
  await alice.sendRaw(new Uint8Array([1, 2, 3]));
  expectTypeOf(alice.requestRaw("nope", { limit: "5" })).resolves.toBeUnknown();
}

describe("testRoom connections are typed from the definition", () => {
  it("connect() resolves to a connection typed by the room", () => {
    const room = testRoom(chat);
    expectTypeOf(room).toEqualTypeOf<TestRoom<typeof chat>>();
    expectTypeOf(room.connect).returns.resolves.toEqualTypeOf<TestConnection<typeof chat>>();
    expect(typeof testConnectionChecks).toBe("function");
  });

  it("a room without emits takes any type in next() and events(), with unknown payloads", () => {
    const room = testRoom(defineRoom({ events: { go: v.optional(v.object({})) }, on: { go() {} } }));
    type Conn = Awaited<ReturnType<typeof room.connect>>;
    expectTypeOf<ReturnType<Conn["events"]>>().toEqualTypeOf<unknown[]>();
    expectTypeOf<Conn["send"]>().parameter(0).toEqualTypeOf<"go">();
    expect(room.type).toBe("room");
  });

  it("TestRoom and TestConnection without a type argument accept any type and payload", () => {
    const check = async (room: TestRoom) => {
      const conn: TestConnection = await room.connect();
      await conn.send("anything", { at: 1 });
      await conn.send("bare");
      const reply = await conn.request("whatever", [1, 2]);
      expectTypeOf(reply).toBeAny();
      // A typed connection is still a TestConnection.
      const typed: TestConnection = await testRoom(chat).connect("?user=ann");
      return typed;
    };
    expect(typeof check).toBe("function");
  });
});

describe("emits restrict send and broadcast", () => {
  it("only emits keys, with their payload types", () => {
    const room = defineRoom({
      events: { go: v.optional(v.object({})) },
      emits: {
        said: v.object({ text: v.string(), at: v.number() }),
        bye: v.object({ id: v.string() }),
      },
      on: {
        go(_data, connection, room) {
          room.broadcast("said", { text: "hi", at: 1 });
          room.broadcast("bye", { id: connection.id }, { except: connection });
          room.broadcast("bye", { id: "x" }, { except: [connection, "id"] });
          connection.send("said", { text: "hi", at: 2 });
          expectTypeOf(room.broadcast).parameter(0).toEqualTypeOf<"said" | "bye">();
          // @ts-expect-error not an emits key
          room.broadcast("nope", {});
          // @ts-expect-error wrong payload type
          room.broadcast("said", { text: 1, at: 1 });
          // @ts-expect-error missing field
          room.broadcast("said", { text: "hi" });
          // @ts-expect-error a payload of another event
          room.broadcast("bye", { text: "hi", at: 1 });
          // @ts-expect-error not an emits key
          connection.send("nope", {});
          // @ts-expect-error wrong payload type
          connection.send("bye", { id: 5 });
          // @ts-expect-error except takes connections or ids
          room.broadcast("bye", { id: "x" }, { except: 5 });
        },
      },
      alarm(room) {
        expectTypeOf(room).toEqualTypeOf<Room<{}, { said: { text: string; at: number }; bye: { id: string } }>>();
      },
    });
    expect(room.emits).toBeDefined();
  });

  it("without emits, any event may be sent", () => {
    const room = defineRoom({
      connect(connection, room) {
        room.broadcast("anything", { at: 1 });
        connection.send("else", [1, 2, 3]);
      },
    });
    expect(typeof room.connect).toBe("function");
  });
});

describe("definition mistakes", () => {
  it("an event schema without its handler is an error, in types and at run time", () => {
    expect(() =>
      defineRoom({
        events: { say: v.string() },
        // @ts-expect-error on.say is missing
        on: {},
      }),
    ).toThrow(/on\.say/);
  });

  it("a handler without a schema is an error, in types and at run time", () => {
    expect(() =>
      defineRoom({
        events: { say: v.string() },
        on: {
          say() {},
          // @ts-expect-error no schema for "shout"
          shout() {},
        },
      }),
    ).toThrow(/shout/);
  });

  it("a request schema without its reply handler is a type error and a run-time error", () => {
    expect(() =>
      defineRoom({
        requests: { a: v.string(), b: v.string() },
        // @ts-expect-error replies.b is missing
        replies: { a: () => 1 },
      }),
    ).toThrow(/replies\.b/);
  });

  it("the reserved types reply and error cannot be used", () => {
    expect(() => defineRoom({ events: { reply: v.string() }, on: { reply() {} } })).toThrow(/reserved/);
    expect(() => defineRoom({ requests: { error: v.string() }, replies: { error: () => 1 } })).toThrow(/reserved/);
  });

  it("RoomError takes a wire error code or an application code; upgrade gets the request and address", () => {
    expectTypeOf(new RoomError("forbidden", "x").code).toEqualTypeOf<RoomError["code"]>();
    expect(new RoomError("my_code", "x").code).toBe("my_code");
    const room = defineRoom({
      upgrade(request, address) {
        expectTypeOf(request).toEqualTypeOf<Request>();
        expectTypeOf(address).toEqualTypeOf<RoomAddress>();
        return {};
      },
    });
    expect(room.upgrade).toBeDefined();
  });
});
