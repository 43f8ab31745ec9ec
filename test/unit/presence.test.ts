import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineRoom } from "../../src/index.ts";
import { testRoom, type TestConnection } from "../../src/testing/index.ts";

/** A clock the test moves by hand, so grace periods pass without waiting. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const cursors = defineRoom({
  upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user") ?? "anon" }),
  presence: {
    member: (data: { user: string }) => data.user,
    state: v.object({ x: v.number(), y: v.number() }),
    graceMs: 5_000,
    bigRoom: 4,
    countEveryMs: 1_000,
  },
  resume: true,
  actions: {
    place: async ({ member, x, y }: { member: string; x: number; y: number }, room) => room.presence.set(member, { x, y }),
    members: (_: undefined, room) => room.presence.members(),
  },
});

type Conn = TestConnection<typeof cursors>;
const presence = (connection: Conn) => connection.received.filter((frame): frame is { type: "presence"; data: any; seq?: number } => typeof frame === "object" && (frame as { type?: string }).type === "presence").map((frame) => frame.data);
const kinds = (connection: Conn) => presence(connection).map((frame) => (frame.kind === "snapshot" ? `snapshot:${(frame.members ?? []).map((m: { member: string }) => m.member).join(",")}` : `${frame.kind}:${frame.member ?? frame.count}`));

describe("presence", () => {
  it("lists a user with two tabs once, and tells the others one join", async () => {
    const time = clock();
    const room = testRoom(cursors, { hibernate: true, now: time.now });
    const ann1 = await room.connect("?user=ann");
    const ann2 = await room.connect("?user=ann");
    const bob = await room.connect("?user=bob");
    expect(kinds(ann1)).toEqual(["snapshot:ann", "join:ann", "join:bob"]);
    expect(kinds(ann2)).toEqual(["snapshot:ann", "join:bob"]);
    expect(kinds(bob)).toEqual(["snapshot:ann,bob", "join:bob"]);
    expect(await room.handle.call("members")).toEqual([
      { member: "ann", state: null },
      { member: "bob", state: null },
    ]);
    // One tab closing leaves ann a member: no leave.
    await ann2.close(1000);
    time.advance(10_000);
    await room.fireAlarm();
    expect(kinds(bob)).toEqual(["snapshot:ann,bob", "join:bob"]);
  });

  it("sends no leave for a reload within the grace period, and one leave after it", async () => {
    const time = clock();
    const room = testRoom(cursors, { hibernate: true, now: time.now });
    const bob = await room.connect("?user=bob");
    const ann = await room.connect("?user=ann");
    await ann.close(1001);
    expect(room.alarmAt).toBe(time.now() + 5_000);
    time.advance(3_000);
    const again = await room.connect("?user=ann");
    // Back in time: still a member, so no join either; the snapshot lists ann.
    expect(kinds(again)[0]).toBe("snapshot:ann,bob");
    time.advance(3_000);
    await room.fireAlarm();
    expect(kinds(bob)).toEqual(["snapshot:bob", "join:bob", "join:ann"]);
    await again.close(1001);
    time.advance(4_999);
    await room.fireAlarm();
    expect(kinds(bob)).toEqual(["snapshot:bob", "join:bob", "join:ann"]);
    time.advance(1);
    await room.fireAlarm();
    expect(kinds(bob)).toEqual(["snapshot:bob", "join:bob", "join:ann", "leave:ann"]);
    expect(await room.handle.call("members")).toEqual([{ member: "bob", state: null }]);
    expect(room.alarmAt).toBeNull();
  });

  it("takes a member's state from the client, validated, and from server code, numbered for replay", async () => {
    const room = testRoom(cursors, { hibernate: true });
    const ann = await room.connect("?user=ann");
    const bob = await room.connect("?user=bob");
    await ann.sendRaw(JSON.stringify({ type: "presence", data: { x: 1, y: 2 } }));
    await room.idle();
    const diff = bob.received.filter((frame: any) => frame.type === "presence" && frame.data.kind === "state");
    expect(diff).toEqual([{ type: "presence", data: { kind: "state", member: "ann", state: { x: 1, y: 2 } }, seq: expect.any(Number) }]);
    await ann.sendRaw(JSON.stringify({ type: "presence", data: { x: "left" } }));
    expect((await ann.next("error")).error).toMatchObject({ code: "invalid_message", message: expect.stringContaining('Invalid "presence" at x') });
    await room.handle.call("place", { member: "bob", x: 5, y: 6 });
    const late = await room.connect("?user=cy");
    expect(presence(late)[0]).toEqual({
      kind: "snapshot",
      count: 3,
      members: [
        { member: "ann", state: { x: 1, y: 2 } },
        { member: "bob", state: { x: 5, y: 6 } },
        { member: "cy", state: null },
      ],
    });
    await expect(room.handle.call("place", { member: "nobody", x: 0, y: 0 })).rejects.toMatchObject({ code: "action_failed", message: expect.stringContaining('"nobody" is not a member') });
  });

  it("switches to counts at a bounded rate above the big-room threshold", async () => {
    const time = clock();
    const room = testRoom(cursors, { hibernate: true, now: time.now });
    const first = await room.connect("?user=u0");
    for (let i = 1; i < 8; i++) await room.connect(`?user=u${i}`);
    // Joins were sent one by one up to four members; then one count frame waits for the schedule.
    expect(kinds(first)).toEqual(["snapshot:u0", "join:u0", "join:u1", "join:u2", "join:u3"]);
    time.advance(1_000);
    await room.fireAlarm();
    expect(kinds(first).slice(5)).toEqual(["count:8"]);
    const late = await room.connect("?user=late");
    expect(presence(late)[0]).toEqual({ kind: "snapshot", count: 9 });
  });

  it("refuses a presence event in a room whose state only the server sets", async () => {
    const room = testRoom(defineRoom({ presence: { member: () => "one" } }));
    const ann = await room.connect();
    await ann.sendRaw(JSON.stringify({ type: "presence", data: { x: 1 } }));
    expect((await ann.next("error")).error).toMatchObject({ code: "unsupported" });
  });

  it("reserves the presence type in a room with presence", () => {
    expect(() => defineRoom({ presence: { member: () => "x" }, events: { presence: v.object({}) }, on: { presence: () => {} } })).toThrow('"presence" is reserved');
  });
});

describe("schedules", () => {
  it("runs named timers and the room's alarm from the one runtime alarm, across hibernation", async () => {
    const time = clock();
    const ran: string[] = [];
    const room = testRoom(
      defineRoom({
        actions: {
          plan: async (_: undefined, room) => {
            await room.schedule("b", time.now() + 2_000);
            await room.schedule("a", time.now() + 1_000);
            await room.schedule("gone", time.now() + 1_500);
            await room.cancel("gone");
            await room.setAlarm(time.now() + 3_000);
            return [await room.scheduled("a"), await room.getAlarm()];
          },
        },
        timer: (name) => void ran.push(`timer:${name}`),
        alarm: () => void ran.push("alarm"),
      }),
      { hibernate: true, now: time.now },
    );
    expect(await room.handle.call("plan")).toEqual([time.now() + 1_000, time.now() + 3_000]);
    expect(room.alarmAt).toBe(time.now() + 1_000);
    time.advance(1_000);
    await room.fireAlarm();
    expect(ran).toEqual(["timer:a"]);
    expect(room.alarmAt).toBe(time.now() + 1_000);
    time.advance(5_000);
    await room.fireAlarm();
    expect(ran).toEqual(["timer:a", "timer:b", "alarm"]);
    expect(room.alarmAt).toBeNull();
  });
});
