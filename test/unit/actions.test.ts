import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { defineRoom, LocalRooms, memoryStorage, memoryStore, RoomCallError, type RoomHandle, type StoragePort } from "../../src/index.ts";
import { testRoom } from "../../src/testing/index.ts";
import { counterRoom } from "../fixtures/handles-room.ts";

/** Actions and room handles through the testing host, rebuilt before every event as hibernation would. */
describe("actions through a room handle", () => {
  it("runs an action of an empty room and keeps what it wrote across rebuilds", async () => {
    const room = testRoom(counterRoom, { hibernate: true });
    expect(await room.handle.call("add", { by: 3 })).toBe(3);
    expect(await room.handle.call("add", { by: 4 })).toBe(7);
    expect(await room.handle.call("total")).toBe(7);
    expect(room.rebuilds).toBeGreaterThanOrEqual(2);
    expect(await room.storage.get("total")).toBe(7);
    const ann = await room.connect("?user=ann");
    expect((await ann.request("log")).length).toBe(2);
  });

  it("runs actions and client events in one order", async () => {
    const room = testRoom(counterRoom, { hibernate: true });
    const ann = await room.connect("?user=ann");
    const calls: Promise<number>[] = [];
    for (let i = 0; i < 20; i++) {
      await ann.send("add", { by: 1 });
      calls.push(room.handle.call("add", { by: 100 }));
    }
    const results = await Promise.all(calls);
    await room.idle();
    expect(await room.storage.get("total")).toBe(20 * 101);
    // Call i saw exactly the i calls before it and some client adds, never fewer than an earlier call saw.
    const addsSeen = results.map((total, i) => total - (i + 1) * 100);
    expect(addsSeen.every((adds, i) => adds >= (addsSeen[i - 1] ?? 0) && adds >= i && adds <= 20)).toBe(true);
  });

  it("answers unknown actions and invalid data with RoomCallError, before any turn runs", async () => {
    const room = testRoom(counterRoom);
    const refused = async (promise: Promise<unknown>) => {
      const error = await promise.then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(RoomCallError);
      return error as RoomCallError;
    };
    const unknown = await refused((room.handle as RoomHandle<any>).call("nope"));
    expect(unknown.code).toBe("unknown_action");
    expect(unknown.message).toBe('room/test has no action "nope". Its actions are "add", "total", "connections", "fail", "refuse", "relay", "self", "bigint".');
    expect(unknown.room).toEqual({ type: "room", name: "test" });
    const invalid = await refused(room.handle.call("add", { by: "1" as unknown as number }));
    expect(invalid.code).toBe("invalid_data");
    expect(invalid.message).toContain('Invalid data for action "add" of room/test at by:');
    expect((await refused(room.handle.call("add", { by: 1n } as never))).code).toBe("invalid_data");
    expect(await room.storage.get("total")).toBeUndefined();
  });

  it("rejects the call of an action that throws, runs the error hook, and keeps none of its writes", async () => {
    const errors: { during: string; message: string }[] = [];
    const room = testRoom({ ...counterRoom, error: (error: unknown, { during }: { during: string }) => void errors.push({ during, message: (error as Error).message }) }, { hibernate: true });
    await room.handle.call("add", { by: 1 });
    const failed = await room.handle.call("fail").then(() => undefined, (error: RoomCallError) => error);
    expect(failed?.code).toBe("action_failed");
    expect(failed?.message).toBe('The action "fail" in room/test threw: failed on purpose');
    expect(errors).toEqual([{ during: "action", message: "failed on purpose" }]);
    expect(await room.storage.get("total")).toBe(1);
    // A RoomError keeps its code and message, and is not reported.
    await expect(room.handle.call("refuse")).rejects.toMatchObject({ code: "forbidden", message: "this action always refuses" });
    await expect(room.handle.call("bigint")).rejects.toMatchObject({ code: "invalid_result" });
    expect(errors).toHaveLength(1);
  });

  it("answers not_stored when the commit fails, and sends nothing of the action", async () => {
    const inner = memoryStorage();
    let broken = false;
    const storage: StoragePort = { ...inner, commit: (puts, deletes) => (broken ? Promise.reject(new Error("disk full")) : inner.commit(puts, deletes)) };
    const room = testRoom(counterRoom, { storage });
    const ann = await room.connect("?user=ann");
    broken = true;
    await expect(room.handle.call("add", { by: 1 })).rejects.toMatchObject({ code: "not_stored" });
    broken = false;
    expect(await room.handle.call("add", { by: 2 })).toBe(2);
    // The only total the client ever saw is the stored one.
    expect((await ann.next("total")).data).toEqual({ total: 2, by: 2, from: "server" });
    expect(ann.events("total")).toEqual([{ total: 2, by: 2, from: "server" }]);
  });

  it("broadcasts from server code: numbered to everyone, to one tag only when asked", async () => {
    const room = testRoom(counterRoom, { hibernate: true });
    const ann = await room.connect("?user=ann");
    const bob = await room.connect("?user=bob");
    await room.handle.broadcast("notice", { text: "all" });
    const [a, b] = [await ann.next("notice"), await bob.next("notice")];
    expect(a).toMatchObject({ data: { text: "all" }, seq: b.seq });
    expect(typeof a.seq).toBe("number");
    await room.handle.broadcast("notice", { text: "bob" }, { tag: "user:bob" });
    expect((await bob.next("notice")).data).toEqual({ text: "bob" });
    await room.idle();
    expect(ann.events("notice")).toEqual([{ text: "all" }]);
  });

  it("refuses a room's call to itself from inside its own turn", async () => {
    const room = testRoom(counterRoom, { type: "counter" });
    await expect(room.handle.call("self")).rejects.toMatchObject({ code: "self_call", message: expect.stringContaining("called itself") });
  });

  it("says which rooms exist when a handle names an unknown one", async () => {
    const room = testRoom(counterRoom, { type: "counter" });
    await expect(room.handle.call("relay", { to: "elsewhere", by: 1 })).rejects.toMatchObject({ code: "unknown_room", message: expect.stringContaining("counter/elsewhere") });
  });

  it("refuses a definition whose actions do not match their schemas", () => {
    expect(() => defineRoom({ actionInputs: { go: v.object({}) } } as never)).toThrow('The action "go" has a schema in actionInputs but no function; add actions.go(data, room).');
    expect(() => defineRoom({ actions: { go: 1 } } as never)).toThrow("actions.go is not a function");
  });

  it("types a handle from the definition: action names, data and results", () => {
    const room = testRoom(counterRoom);
    expectTypeOf(room.handle.call<"add">).parameters.toEqualTypeOf<["add", { by: number }]>();
    expectTypeOf(room.handle.call<"add">).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(room.handle.call<"connections">).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(room.handle.call<"total">).parameters.toEqualTypeOf<["total", data?: undefined]>();
    // @ts-expect-error: no such action
    void (() => room.handle.call("nope"));
    // @ts-expect-error: wrong data
    void (() => room.handle.call("add", { by: "1" }));
    // @ts-expect-error: not an emitted event
    void (() => room.handle.broadcast("said", {}));
    // @ts-expect-error: wrong payload
    void (() => room.handle.broadcast("notice", { text: 1 }));
  });
});

describe("handles of a long-running process", () => {
  it("builds an empty room for a call, drops it after, and refuses calls once closed", async () => {
    const store = memoryStore();
    const rooms = new LocalRooms<object>({ counter: counterRoom }, store, {
      send: () => "sent",
      close: () => {},
      attachment: () => ({ id: "x", data: {} }),
      setAttachment: () => {},
    });
    const lobby = rooms.handle("counter", "lobby");
    expect(await lobby.call("add", { by: 2 })).toBe(2);
    expect(await lobby.call("add", { by: 2 })).toBe(4);
    expect(() => rooms.handle("nope", "lobby")).toThrow('No room type "nope" is served here; the room types are "counter".');
    expect(() => rooms.handle("counter", "..")).toThrow("Invalid room name");
    await rooms.close();
    await expect(lobby.call("total")).rejects.toMatchObject({ code: "closed" });
  });
});
