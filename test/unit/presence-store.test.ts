import { describe, expect, it } from "vitest";
import { PresenceStore } from "../../src/client/index.ts";

/** The client's presence store, fed the frames a room sends. */
describe("roomwire/client presence store", () => {
  it("starts from the snapshot, follows joins, states and leaves, and starts over at the next snapshot", () => {
    const sent: unknown[] = [];
    const store = new PresenceStore<{ x: number } | null>((state) => (sent.push(state), true));
    let changes = 0;
    store.onChange(() => changes++);
    store.apply({ kind: "snapshot", count: 2, members: [{ member: "ann", state: null }, { member: "bob", state: { x: 1 } }] });
    expect([...store.members]).toEqual([["ann", null], ["bob", { x: 1 }]]);
    store.apply({ kind: "join", member: "cy", state: null });
    store.apply({ kind: "state", member: "ann", state: { x: 5 } });
    store.apply({ kind: "leave", member: "bob" });
    expect([...store.members]).toEqual([["ann", { x: 5 }], ["cy", null]]);
    expect(store.count).toBe(2);
    expect(changes).toBe(4);
    // After a reconnect the snapshot replaces everything.
    store.apply({ kind: "snapshot", count: 1, members: [{ member: "dee", state: null }] });
    expect([...store.members.keys()]).toEqual(["dee"]);
    expect(store.set({ x: 3 })).toBe(true);
    expect(sent).toEqual([{ x: 3 }]);
  });

  it("keeps only the count in a big room", () => {
    const store = new PresenceStore(() => true);
    store.apply({ kind: "snapshot", count: 500 });
    expect(store.listed).toBe(false);
    expect(store.members.size).toBe(0);
    store.apply({ kind: "count", count: 520 });
    expect(store.count).toBe(520);
    store.apply({ kind: "snapshot", count: 3, members: [{ member: "a", state: null }, { member: "b", state: null }, { member: "c", state: null }] });
    expect(store.listed).toBe(true);
    expect(store.count).toBe(3);
  });
});
