import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Leases } from "../../adapters/redis/lease.ts";
import { Mailbox } from "../../adapters/redis/mailbox.ts";
import { redisStore } from "../../adapters/redis/store.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";

/** The Redis store's commits on a real redis-server: atomic, and fenced by a room's lease when a fence is given. */
describe("Redis store", () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(() => redis?.stop());

  it("lands a commit only while the lease key holds this process's token", async () => {
    const client = redis.client();
    let token = "owner-a";
    const store = redisStore(client, (room) => ({ key: `lease:${room}`, token }));
    const room = store.storage("chat/fenced");
    await client.set("lease:chat/fenced", "owner-a");
    await room.commit([["count", "1"]], []);
    expect(await room.get("count")).toBe("1");
    // Another process took the lease: this one's writes are refused whole, nothing of them lands.
    await client.set("lease:chat/fenced", "owner-b");
    await expect(room.commit([["count", "2"], ["other", "x"]], ["count"])).rejects.toThrow(/FENCED/);
    expect(await room.get("count")).toBe("1");
    expect(await room.get("other")).toBeUndefined();
    // With the lease back (or as its new holder) it writes again.
    token = "owner-b";
    await room.commit([["count", "3"]], []);
    expect(await room.list({})).toEqual([["count", "3"]]);
  });

  it("keeps alarms of every room in one ordered set", async () => {
    const store = redisStore(redis.client());
    await store.setAlarm("chat/a", 2_000);
    await store.setAlarm("chat/b", 1_000);
    expect(await store.getAlarm("chat/a")).toBe(2_000);
    expect(await store.alarms()).toEqual([
      { room: "chat/b", at: 1_000 },
      { room: "chat/a", at: 2_000 },
    ]);
    await store.deleteAlarm("chat/b");
    expect(await store.getAlarm("chat/b")).toBeNull();
  });

  it("keeps what it acknowledged across a kill -9 of redis-server (appendfsync always)", async () => {
    // A server of this test's own, killed without a chance to save.
    const own = await startRedis();
    try {
      const store = redisStore(own.client());
      const room = store.storage("chat/durable");
      await room.commit([["said:1", '"hello"']], []);
      const dir = (await own.client().config("GET", "dir")) as string[];
      own.process.kill("SIGKILL");
      await new Promise((resolve) => own.process.once("exit", resolve));
      const again = await startRedisOn(dir[1]!);
      try {
        expect(await redisStore(again.client()).storage("chat/durable").get("said:1")).toBe('"hello"');
      } finally {
        await again.stop();
      }
    } finally {
      await own.stop();
    }
  }, 30_000);
});

/** A redis-server on an existing data directory (the one a killed server left). */
function startRedisOn(dir: string): Promise<RunningRedis> {
  return startRedis(20_000, dir);
}

describe("room leases on Redis", () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(() => redis?.stop());

  it("gives a room one holder; a holder that stops renewing loses it, and its fenced writes are refused", async () => {
    const a = new Leases(redis.client(), "proc-a", 300);
    const b = new Leases(redis.client(), "proc-b", 300);
    const room = "chat/leased";
    expect(await a.acquire(room)).toMatch(/^proc-a:/);
    expect(await b.acquire(room)).toBeUndefined();
    expect(await b.holder(room)).toBe("proc-a");
    expect(await a.renew(room)).toBe(true);
    const storeA = redisStore(redis.client(), a.fence).storage(room);
    await storeA.commit([["owner", '"a"']], []);

    // A pauses past its lease: B takes the room, and A's late writes do not land.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await b.acquire(room)).toMatch(/^proc-b:/);
    await expect(storeA.commit([["owner", '"stale a"']], [])).rejects.toThrow(/FENCED/);
    expect(await a.renew(room)).toBe(false);
    const storeB = redisStore(redis.client(), b.fence).storage(room);
    await storeB.commit([["owner", '"b"']], []);
    expect(await storeB.get("owner")).toBe('"b"');

    // A process without the lease has no token to write with; releasing frees the room at once.
    await expect(storeA.commit([["owner", '"a again"']], [])).rejects.toThrow(/FENCED/);
    await b.release(room);
    expect(await a.holder(room)).toBeNull();
    expect(await a.acquire(room)).toMatch(/^proc-a:/);
  });

  it("refuses a process id that would make its tokens ambiguous", () => {
    expect(() => new Leases(redis.client(), "a:b", 1000)).toThrow('A process id may not contain ":"');
  });
});

describe("process inboxes on Redis", () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(() => redis?.stop());

  it("delivers every message once, in the order each sender sent it", async () => {
    const got: { from: string; n: number }[] = [];
    const b = new Mailbox<{ from: string; n: number }>(redis.client(), redis.client(), "proc-b", (mail) => got.push(mail));
    await b.start();
    const a = new Mailbox<{ from: string; n: number }>(redis.client(), redis.client(), "proc-a", () => {});
    const c = new Mailbox<{ from: string; n: number }>(redis.client(), redis.client(), "proc-c", () => {});
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 500; n += 10) {
      sends.push(a.send("proc-b", ...Array.from({ length: 10 }, (_, i) => ({ from: "a", n: n + i }))));
      sends.push(c.send("proc-b", { from: "c", n: n / 10 }));
    }
    await Promise.all(sends);
    await expect.poll(() => got.length, { timeout: 5_000 }).toBe(550);
    expect(got.filter((mail) => mail.from === "a").map((mail) => mail.n)).toEqual(Array.from({ length: 500 }, (_, n) => n));
    expect(got.filter((mail) => mail.from === "c").map((mail) => mail.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    b.stop();
  });

  it("caps and expires the inbox of a process that no longer reads", async () => {
    const client = redis.client();
    const a = new Mailbox<number>(redis.client(), redis.client(), "proc-a2", () => {}, { maxEntries: 100, idleMs: 500 });
    await a.send("proc-gone", ...Array.from({ length: 1_000 }, (_, n) => n));
    expect(await client.xlen("roomwire:proc:{proc-gone}:inbox")).toBeLessThan(300);
    await expect.poll(() => client.exists("roomwire:proc:{proc-gone}:inbox"), { timeout: 3_000 }).toBe(0);
  });

  it("does not hand a restarted process the mail of its previous life", async () => {
    const a = new Mailbox<string>(redis.client(), redis.client(), "proc-a3", () => {});
    await a.send("proc-r", "before");
    const got: string[] = [];
    const r = new Mailbox<string>(redis.client(), redis.client(), "proc-r", (mail) => got.push(mail));
    await r.start();
    await a.send("proc-r", "after");
    await expect.poll(() => got, { timeout: 5_000 }).toEqual(["after"]);
    r.stop();
  });
});
