import { describe, expect, it } from "vitest";
import { memoryStore } from "../../src/index.ts";

/** The in-memory `LocalStore`: each room's storage and alarm, kept for the life of the process. */
describe("memoryStore", () => {
  it("keeps a room's storage across storage() calls, as a room rebuilt after its last socket left", async () => {
    const store = memoryStore();
    await store.storage("chat/a").commit([["k", '"v"']], []);
    expect(await store.storage("chat/a").get("k")).toBe('"v"');
    expect(await store.storage("chat/b").get("k")).toBeUndefined();
  });

  it("lists in UTF-8 byte order with every option, room by room", async () => {
    const store = memoryStore();
    const room = store.storage("r/1");
    await room.commit(["b", "😀", "a/2", "｡", "a/1"].map((key) => [key, "1"]), []);
    await store.storage("r/2").commit([["a/3", "1"]], []);
    const keys = async (options: object) => (await room.list(options)).map(([key]) => key);
    expect(await keys({})).toEqual(["a/1", "a/2", "b", "｡", "😀"]);
    expect(await keys({ prefix: "a/" })).toEqual(["a/1", "a/2"]);
    expect(await keys({ start: "a/2", end: "｡", reverse: true, limit: 1 })).toEqual(["b"]);
  });

  it("a commit applies puts and deletes together; an emptied room reads as empty and can be written again", async () => {
    const store = memoryStore();
    const room = store.storage("r/1");
    await room.commit([["k", "1"], ["j", "1"]], []);
    await room.commit([["j", "2"]], ["k"]);
    expect(await room.list({})).toEqual([["j", "2"]]);
    await room.commit([], ["j"]);
    expect(await room.list({})).toEqual([]);
    await room.commit([["k", "2"]], []);
    expect(await store.storage("r/1").get("k")).toBe("2");
  });

  it("keeps one alarm per room and lists them", async () => {
    const store = memoryStore();
    expect(await store.getAlarm("r/1")).toBeNull();
    await store.setAlarm("r/1", 1_000);
    await store.setAlarm("r/1", 2_000);
    await store.setAlarm("r/2", 3_000);
    expect(await store.getAlarm("r/1")).toBe(2_000);
    expect(await store.alarms()).toEqual([
      { room: "r/1", at: 2_000 },
      { room: "r/2", at: 3_000 },
    ]);
    await store.deleteAlarm("r/1");
    expect(await store.getAlarm("r/1")).toBeNull();
    expect(await store.alarms()).toEqual([{ room: "r/2", at: 3_000 }]);
  });
});
