import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineRoom, type AnyRoomDefinition } from "../../src/index.ts";
import { testRoom, type TestRoomOptions } from "../../src/testing/index.ts";
import { chat } from "../../examples/chat/room.ts";
import { makeClosureCounter, propertyCounter, storageCounter, weakMapCounter } from "./fixtures/memory-state.ts";
import { room as moduleStateRoom } from "./fixtures/module-state.ts";

/**
 * `hibernate: true` drops the engine before every event, as a Durable Object
 * may: state kept anywhere but `room.storage` and connection data is lost.
 */

async function ticks(definition: AnyRoomDefinition, options: TestRoomOptions, times = 3) {
  const room = testRoom(definition, options);
  const conn = await room.connect();
  for (let i = 0; i < times; i++) await conn.send("tick");
  return { counts: conn.events("count").map((data: { count: number }) => data.count), room, conn };
}

describe("hibernation mode", () => {
  it("the chat room passes a full scenario while being rebuilt before every event", async () => {
    const room = testRoom(chat, { hibernate: true });
    const alice = await room.connect("?user=alice");
    const bob = await room.connect("?user=bob");
    expect(alice.events("joined")).toEqual([{ id: bob.id, user: "bob" }]);
    await alice.send("say", { text: "one" });
    await bob.send("say", { text: "two" });
    expect(bob.events("said").map((said: { user: string; text: string }) => [said.user, said.text])).toEqual([
      ["alice", "one"],
      ["bob", "two"],
    ]);
    expect((await bob.request("history", { limit: 10 })).map((said: { text: string }) => said.text)).toEqual(["one", "two"]);
    expect(await alice.request("who")).toEqual({
      peers: [
        { id: alice.id, user: "alice" },
        { id: bob.id, user: "bob" },
      ],
    });
    const carol = await room.connect("?user=carol");
    const welcome = carol.events("welcome")[0]!;
    expect(welcome.peers.map((peer: { user: string }) => peer.user)).toEqual(["alice", "bob", "carol"]);
    expect(welcome.history.map((said: { text: string }) => said.text)).toEqual(["one", "two"]);
    await bob.close(1000);
    expect(alice.events("left")).toEqual([{ id: bob.id, user: "bob" }]);
    expect(carol.events("left")).toEqual([{ id: bob.id, user: "bob" }]);
    expect(await carol.request("who")).toEqual({
      peers: [
        { id: alice.id, user: "alice" },
        { id: carol.id, user: "carol" },
      ],
    });
    expect(room.rebuilds).toBeGreaterThanOrEqual(8);
  });

  it("without hibernate the room is never rebuilt", async () => {
    const { room } = await ticks(storageCounter, {});
    expect(room.rebuilds).toBe(0);
  });

  it("state in storage and connection data survives hibernation", async () => {
    const { counts, room, conn } = await ticks(storageCounter, { hibernate: true });
    expect(counts).toEqual([1, 2, 3]);
    expect(conn.data).toEqual({ count: 3 });
    expect(await room.storage.get("total")).toBe(3);
    expect(room.rebuilds).toBeGreaterThanOrEqual(3);
  });

  it("a WeakMap keyed by the connection object: right without hibernation, wrong with it", async () => {
    expect((await ticks(weakMapCounter, {})).counts).toEqual([1, 2, 3]);
    expect((await ticks(weakMapCounter, { hibernate: true })).counts).toEqual([1, 1, 1]);
  });

  it("a property stashed on the connection object: right without hibernation, wrong with it", async () => {
    expect((await ticks(propertyCounter, {})).counts).toEqual([1, 2, 3]);
    expect((await ticks(propertyCounter, { hibernate: true })).counts).toEqual([1, 1, 1]);
  });

  it("a Map in the definition's closure survives a rebuild of the same definition; reload with a factory catches it", async () => {
    expect((await ticks(makeClosureCounter(), {})).counts).toEqual([1, 2, 3]);
    // Same definition object, so the closure lives on: hibernate alone cannot see this one.
    expect((await ticks(makeClosureCounter(), { hibernate: true })).counts).toEqual([1, 2, 3]);
    // Re-reading the definition before every event loses it, as a restarted isolate would.
    expect((await ticks(makeClosureCounter(), { hibernate: true, reload: makeClosureCounter })).counts).toEqual([1, 1, 1]);
  });

  it("reload is called once per rebuild and may be async", async () => {
    let reloads = 0;
    const { counts, room } = await ticks(storageCounter, {
      hibernate: true,
      reload: async () => {
        reloads++;
        return storageCounter;
      },
    });
    expect(counts).toEqual([1, 2, 3]);
    expect(reloads).toBe(room.rebuilds);
    expect(reloads).toBeGreaterThanOrEqual(3);
  });

  describe("a module-level variable", () => {
    let version = 0;
    /**
     * A query-suffixed import. It must be written as a string concatenation: Vite
     * rewrites a template literal (`./fixtures/module-state.ts?x=${n}`) into a glob
     * lookup that fails with "Unknown variable dynamic import".
     */
    const load = (): Promise<AnyRoomDefinition> => import("./fixtures/module-state.ts?x=" + version++).then((m) => m.room);

    it("vitest re-evaluates a query-suffixed import: each one is a new module instance", async () => {
      const first = await load();
      const second = await load();
      expect(first).not.toBe(second);
      expect(first).not.toBe(moduleStateRoom);
    });

    it("counts right without hibernation, and wrongly with hibernate + reload", async () => {
      expect((await ticks(await load(), {})).counts).toEqual([1, 2, 3]);
      expect((await ticks(await load(), { hibernate: true, reload: load })).counts).toEqual([1, 1, 1]);
    });

    it("hibernate without reload keeps the module, so the variable survives", async () => {
      expect((await ticks(await load(), { hibernate: true })).counts).toEqual([1, 2, 3]);
    });
  });

  it("connections come back from their attachments with id, data and tags", async () => {
    const room = testRoom(chat, { hibernate: true });
    const alice = await room.connect("?user=alice");
    const before = room.rebuilds;
    const peers = (await alice.request("who")).peers;
    expect(room.rebuilds).toBeGreaterThan(before);
    expect(peers).toEqual([{ id: alice.id, user: "alice" }]);
  });

  it("the alarm handler runs in a rebuilt room and reaches the connections", async () => {
    const ringing = defineRoom({
      emits: { rang: v.object({ listeners: v.number() }) },
      alarm: (room) => room.broadcast("rang", { listeners: room.connections().length }),
    });
    const room = testRoom(ringing, { hibernate: true });
    const a = await room.connect();
    const b = await room.connect();
    const before = room.rebuilds;
    await room.fireAlarm();
    expect(room.rebuilds).toBe(before + 1);
    expect(a.events("rang")).toEqual([{ listeners: 2 }]);
    expect(b.events("rang")).toEqual([{ listeners: 2 }]);
  });

  it("a server-initiated close runs the close hook exactly once, also across a rebuild", async () => {
    const closes: number[] = [];
    const kicking = defineRoom({
      events: { kick: v.optional(v.object({})) },
      on: { kick: (_data, connection) => connection.close(4001, "bye") },
      close: (_connection, _room, info) => void closes.push(info.code),
    });
    const room = testRoom(kicking, { hibernate: true });
    const conn = await room.connect();
    await conn.send("kick");
    await room.idle();
    expect(conn.closedBy).toEqual({ code: 4001, reason: "bye" });
    expect(closes).toEqual([4001]);
  });
});
