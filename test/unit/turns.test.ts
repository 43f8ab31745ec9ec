import * as v from "valibot";
import { describe, expect, it, vi } from "vitest";
import { defineRoom, LocalRooms, memoryStorage, memoryStore, RoomEngine, type Attachment, type LocalStore, type StoragePort } from "../../src/index.ts";
import { testRoom, type Received } from "../../src/testing/index.ts";

/** A memory store whose commits can be held, or made to fail, on demand; it records each commit. */
function controlledStore() {
  const map = new Map<string, string>();
  const inner = memoryStorage(map);
  const commits: { puts: string[]; deletes: string[] }[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  let failNext = 0;
  const store: StoragePort = {
    get: (key) => inner.get(key),
    list: (options) => inner.list(options),
    async commit(puts, deletes) {
      if (hold) await new Promise<void>((resolve) => held.push(resolve));
      if (failNext > 0) {
        failNext--;
        throw new Error("the disk is full");
      }
      commits.push({ puts: puts.map(([key]) => key), deletes });
      await inner.commit(puts, deletes);
    },
  };
  return {
    store,
    map,
    commits,
    hold: () => void (hold = true),
    /** Lets every held commit go on, and stops holding. */
    release: () => {
      hold = false;
      for (const resolve of held.splice(0)) resolve();
    },
    failNext: (count = 1) => void (failNext = count),
    heldCount: () => held.length,
  };
}

const errors: { during: string; message: string }[] = [];
const counter = defineRoom({
  events: { add: v.object({ n: v.number() }), shout: v.object({ text: v.string() }) },
  requests: { add: v.object({ n: v.number() }), total: v.object({}) },
  on: {
    add: async ({ n }, _connection, room) => {
      const total = ((await room.storage.get<number>("total")) ?? 0) + n;
      await room.storage.put("total", total);
      await room.storage.put(`entry/${String(total).padStart(6, "0")}`, n);
      room.broadcast("added", { n, total });
    },
    // Writes nothing.
    shout: ({ text }, _connection, room) => room.broadcast("shouted", { text }),
  },
  replies: {
    add: async ({ n }, _connection, room) => {
      const total = ((await room.storage.get<number>("total")) ?? 0) + n;
      await room.storage.put("total", total);
      return total;
    },
    total: async (_data, _connection, room) => (await room.storage.get<number>("total")) ?? 0,
  },
  error: (error, { during }) => void errors.push({ during, message: (error as Error).message }),
  limits: { rateLimit: false },
});

const frames = (received: Received[], type: string) => received.filter((frame) => typeof frame === "object" && !(frame instanceof Uint8Array) && frame.type === type);
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("turns: one commit per turn, frames after the commit", () => {
  it("sends the frames of a turn that wrote nothing at once, within the call that delivered its message", () => {
    const sent: string[] = [];
    const socket = { attachment: { id: "a", data: null } as Attachment };
    const engine = new RoomEngine(counter, { type: "room", name: "now" }, {
      storage: memoryStorage(),
      alarm: { set: async () => {}, get: async () => null, delete: async () => {} },
      sockets: {
        sockets: () => [socket],
        send: (_socket, frame) => (sent.push(String(frame)), "sent"),
        close: () => {},
        attachment: (s) => s.attachment,
        setAttachment: (s, attachment) => void (s.attachment = attachment),
      },
    });
    engine.open(socket);
    engine.message(socket, JSON.stringify({ type: "shout", data: { text: "hi" } }));
    expect(sent).toEqual(['{"type":"shouted","data":{"text":"hi"}}']);
  });

  it("holds a turn's frames until its writes are committed, as one commit", async () => {
    const control = controlledStore();
    const room = testRoom(counter, { storage: control.store });
    const alice = await room.connect();
    control.hold();
    void alice.sendRaw(JSON.stringify({ type: "add", data: { n: 5 } }));
    await tick();
    expect(control.heldCount()).toBe(1);
    expect(frames(alice.received, "added")).toEqual([]);
    expect(control.map.size).toBe(0);
    control.release();
    await room.idle();
    expect(frames(alice.received, "added")).toEqual([{ type: "added", data: { n: 5, total: 5 } }]);
    expect(control.commits).toEqual([{ puts: ["total", "entry/000005"], deletes: [] }]);
  });

  it("lets the next turns run on the uncommitted state while a commit is in flight, and commits them together (group commit)", async () => {
    const control = controlledStore();
    const room = testRoom(counter, { storage: control.store });
    const alice = await room.connect();
    control.hold();
    for (let n = 1; n <= 5; n++) void alice.sendRaw(JSON.stringify({ type: "add", data: { n } }));
    await tick();
    // The first turn's commit is in flight; the other four ran on its state and wait, as one group.
    expect(control.heldCount()).toBe(1);
    expect(frames(alice.received, "added")).toEqual([]);
    control.release();
    await room.idle();
    expect(control.commits).toHaveLength(2);
    expect(control.commits[1]!.puts).toEqual(["total", "entry/000003", "entry/000006", "entry/000010", "entry/000015"]);
    expect(frames(alice.received, "added").map((frame) => (frame as { data: { total: number } }).data.total)).toEqual([1, 3, 6, 10, 15]);
  });

  it("keeps turn order for a turn that wrote nothing: its frames wait behind the commit in flight", async () => {
    const control = controlledStore();
    const room = testRoom(counter, { storage: control.store });
    const alice = await room.connect();
    control.hold();
    void alice.sendRaw(JSON.stringify({ type: "add", data: { n: 1 } }));
    void alice.sendRaw(JSON.stringify({ type: "shout", data: { text: "after" } }));
    await tick();
    expect(alice.received.filter((frame) => typeof frame === "object")).toEqual([]);
    control.release();
    await room.idle();
    const types = alice.received.map((frame) => (frame as { type: string }).type);
    expect(types).toEqual(["added", "shouted"]);
  });

  it("does not send a broadcast that waited for its commit to a connection that joined after it was made", async () => {
    const control = controlledStore();
    const room = testRoom(counter, { storage: control.store });
    const alice = await room.connect();
    control.hold();
    void alice.sendRaw(JSON.stringify({ type: "add", data: { n: 1 } }));
    await tick();
    const joining = room.connect();
    await tick();
    control.release();
    const bob = await joining;
    await room.idle();
    expect(frames(alice.received, "added")).toHaveLength(1);
    expect(frames(bob.received, "added")).toEqual([]);
    await alice.sendRaw(JSON.stringify({ type: "add", data: { n: 1 } }));
    expect(frames(bob.received, "added")).toHaveLength(1);
  });

  it("when a commit fails: sends nothing of the lost turns, answers their requests internal, reports it, and goes on from the stored state", async () => {
    errors.length = 0;
    const control = controlledStore();
    const room = testRoom(counter, { storage: control.store });
    const alice = await room.connect();
    expect(await alice.request("add", { n: 10 })).toBe(10);
    control.hold();
    control.failNext();
    const lost = [alice.requestRaw("add", { n: 1 }), alice.requestRaw("add", { n: 2 })].map((reply) => reply.catch((error: unknown) => error));
    void alice.sendRaw(JSON.stringify({ type: "add", data: { n: 3 } }));
    await tick();
    control.release();
    const answers = await Promise.all(lost);
    expect(answers).toEqual([expect.objectContaining({ body: expect.objectContaining({ code: "internal" }) }), expect.objectContaining({ body: expect.objectContaining({ code: "internal" }) })]);
    await room.idle();
    expect(frames(alice.received, "added")).toEqual([]);
    expect(frames(alice.received, "error")).toEqual([{ type: "error", error: expect.objectContaining({ code: "internal" }) }]);
    expect(errors).toEqual([{ during: "commit", message: "the disk is full" }]);
    expect(await alice.request("total", {})).toBe(10);
    expect(await alice.request("add", { n: 5 })).toBe(15);
  });

  it("numbers broadcasts of a resumable room only once committed: after a failed commit the sequence goes on from the stored one", async () => {
    const control = controlledStore();
    const room = testRoom(defineRoom({ ...counter, resume: true }), { storage: control.store });
    const alice = await room.connect();
    await alice.sendRaw(JSON.stringify({ type: "add", data: { n: 1 } }));
    control.failNext();
    await alice.sendRaw(JSON.stringify({ type: "add", data: { n: 1 } }));
    await alice.sendRaw(JSON.stringify({ type: "add", data: { n: 1 } }));
    const seqs = frames(alice.received, "added").map((frame) => (frame as { seq?: number }).seq);
    expect(seqs).toEqual([1, 2]);
    expect(frames(alice.received, "added").map((frame) => (frame as { data: { total: number } }).data.total)).toEqual([1, 2]);
    const bob = await room.connect("?roomwire_since=1");
    expect(bob.received.filter((frame) => typeof frame === "object").map((frame) => (frame as { type: string; seq?: number }).type)).toEqual(["added", "resume"]);
  });

  it("closes a connection whose connect turn was lost with 1011, so it reconnects and is welcomed again", async () => {
    const control = controlledStore();
    const welcoming = defineRoom({
      connect: async (connection, room) => {
        await room.storage.put(`member/${connection.id}`, true);
        connection.send("welcome", {});
      },
    });
    const room = testRoom(welcoming, { storage: control.store });
    control.failNext();
    const alice = await room.connect();
    await room.idle();
    expect(alice.closedBy?.code).toBe(1011);
    expect(frames(alice.received, "welcome")).toEqual([]);
    const bob = await room.connect();
    expect(frames(bob.received, "welcome")).toHaveLength(1);
  });

  it("starts a new group when the next turn would pass the write budget", async () => {
    const control = controlledStore();
    const wide = defineRoom({
      events: { fill: v.object({ prefix: v.string() }) },
      on: {
        fill: async ({ prefix }, _connection, room) => {
          for (let i = 0; i < 100; i++) await room.storage.put(`${prefix}/${i}`, i);
        },
      },
      limits: { rateLimit: false },
    });
    const room = testRoom(wide, { storage: control.store });
    const alice = await room.connect();
    control.hold();
    for (const prefix of ["a", "b", "c"]) void alice.sendRaw(JSON.stringify({ type: "fill", data: { prefix } }));
    await tick();
    control.release();
    await room.idle();
    // 100 keys each: no two fit in one commit of at most 128.
    expect(control.commits.map((commit) => commit.puts.length)).toEqual([100, 100, 100]);
  });
});

describe("an alarm whose commit fails, in a long-running process", () => {
  it("rings again a second later, and what it writes then is kept", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const store = memoryStore();
    let failures = 1;
    const failing: LocalStore = {
      ...store,
      storage(room) {
        const inner = store.storage(room);
        return { ...inner, commit: (puts, deletes) => (failures-- > 0 ? Promise.reject(new Error("the disk is full")) : inner.commit(puts, deletes)) };
      },
    };
    let rings = 0;
    const ticking = defineRoom({
      alarm: async (room) => {
        rings++;
        await room.storage.put("rang", rings);
      },
    });
    await failing.setAlarm("ticking/a", Date.now());
    // It reads the stored alarms when it starts.
    const rooms = new LocalRooms<object>({ ticking }, failing, {
      send: () => "sent",
      close: () => {},
      attachment: () => ({ id: "a", data: null }),
      setAttachment: () => {},
    });
    await vi.waitFor(() => expect(rings).toBe(2), { timeout: 5_000, interval: 50 });
    await vi.waitFor(async () => expect(await store.storage("ticking/a").get("rang")).toBe("2"), { timeout: 2_000, interval: 50 });
    expect(await store.getAlarm("ticking/a")).toBeNull();
    await rooms.close();
  });
});
