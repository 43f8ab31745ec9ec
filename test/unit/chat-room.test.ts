import { describe, expect, it } from "vitest";
import { chat } from "../../examples/chat/room.ts";
import { RefusedError, ReplyError, testRoom } from "../../src/testing/index.ts";
import { errorsOf } from "./helpers.ts";

/** The reference chat room (examples/chat/room.ts), through the testing host, with and without hibernation. */

type Said = { user: string; text: string; at: number };
const texts = (list: Said[]) => list.map((said) => said.text);

describe.each([
  ["live", false],
  ["hibernating", true],
])("chat room (%s)", (_label, hibernate) => {
  const open = () => testRoom(chat, { type: "chat", name: "lobby", hibernate });

  it("welcomes a newcomer with its id, user, peers (itself included) and history", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    // The chat room is resumable: where the event stream stands comes first, then the welcome.
    expect(alice.received).toEqual([
      { type: "resume", seq: 0 },
      { type: "welcome", data: { id: alice.id, user: "alice", peers: [{ id: alice.id, user: "alice" }], history: [] } },
    ]);
    await alice.send("say", { text: "first" });
    const bob = await room.connect("?user=bob");
    const welcomes = bob.events("welcome");
    expect(welcomes).toHaveLength(1);
    const welcome = welcomes[0]!;
    expect(welcome.id).toBe(bob.id);
    expect(welcome.user).toBe("bob");
    expect(welcome.peers).toEqual([
      { id: alice.id, user: "alice" },
      { id: bob.id, user: "bob" },
    ]);
    expect(welcome.history).toEqual([{ user: "alice", text: "first", at: expect.any(Number) }]);
  });

  it("announces a newcomer to the others, not to itself", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    const bob = await room.connect("?user=bob");
    expect(alice.events("joined")).toEqual([{ id: bob.id, user: "bob" }]);
    expect(bob.events("joined")).toEqual([]);
  });

  it("say → said to everyone, the sender too, in order, with a numeric at", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    const bob = await room.connect("?user=bob");
    await alice.send("say", { text: "one" });
    await bob.send("say", { text: "two" });
    await alice.send("say", { text: "three" });
    for (const conn of [alice, bob]) {
      const said: Said[] = conn.events("said");
      expect(said.map(({ user, text }) => [user, text])).toEqual([
        ["alice", "one"],
        ["bob", "two"],
        ["alice", "three"],
      ]);
      for (const item of said) expect(typeof item.at).toBe("number");
      expect(said.map((item) => item.at)).toEqual([...said.map((item) => item.at)].sort((a, b) => a - b));
    }
  });

  it("rejects an empty say and one over 2000 characters as invalid_message", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    await alice.send("say", { text: "" });
    await alice.send("say", { text: "x".repeat(2001) });
    await alice.send("say", { text: "x".repeat(2000) });
    expect(errorsOf(alice).map((error) => error.code)).toEqual(["invalid_message", "invalid_message"]);
    expect(alice.events("said")).toHaveLength(1);
  });

  it("history returns the last `limit` messages, oldest first", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    for (let i = 1; i <= 5; i++) await alice.send("say", { text: `m${i}` });
    expect(texts(await alice.request("history", { limit: 3 }))).toEqual(["m3", "m4", "m5"]);
    expect(texts(await alice.request("history", { limit: 1 }))).toEqual(["m5"]);
    expect(texts(await alice.request("history", { limit: 200 }))).toEqual(["m1", "m2", "m3", "m4", "m5"]);
  });

  it.each([0, 201, 1.5, -1, "3"])("history with limit %j is an invalid_message reply", async (limit) => {
    const room = open();
    const alice = await room.connect("?user=alice");
    // Invalid on purpose: requestRaw skips the type check that request() does.
    const failure = await alice.requestRaw("history", { limit }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReplyError);
    expect((failure as ReplyError).code).toBe("invalid_message");
    expect(alice.open).toBe(true);
  });

  it("who lists the peers", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    const bob = await room.connect("?user=bob");
    expect(await bob.request("who")).toEqual({
      peers: [
        { id: alice.id, user: "alice" },
        { id: bob.id, user: "bob" },
      ],
    });
    expect(await bob.request("who", {})).toEqual(await alice.request("who"));
  });

  it("announces who left when a connection closes, however it ends", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    const bob = await room.connect("?user=bob");
    const carol = await room.connect("?user=carol");
    await bob.close();
    await carol.drop();
    expect(alice.events("left")).toEqual([
      { id: bob.id, user: "bob" },
      { id: carol.id, user: "carol" },
    ]);
    expect(bob.events("left")).toEqual([]);
    expect(await alice.request("who")).toEqual({ peers: [{ id: alice.id, user: "alice" }] });
  });

  it.each([
    ["", "no user"],
    ["?user=", "an empty user"],
    [`?user=${"a".repeat(33)}`, "33 characters"],
    ["?user=a b", "a space"],
    ["?user=%C3%A9", "a non-ASCII user"],
    ["?user=a.b", "a dot"],
  ])("refuses %j (%s) with 401", async (query) => {
    const room = open();
    const refusal = await room.connect(query).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect((refusal as RefusedError).response.status).toBe(401);
  });

  it("accepts a 32-character user of letters, digits, _ and -", async () => {
    const room = open();
    const user = "Ab9_-".repeat(7).slice(0, 32);
    const conn = await room.connect(`?user=${user}`);
    expect(conn.data).toEqual({ user });
  });

  it("welcome history is capped at the last 50 of 60 messages, oldest first", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    for (let i = 1; i <= 60; i++) await alice.send("say", { text: `m${i}` });
    const bob = await room.connect("?user=bob");
    const history: Said[] = bob.events("welcome")[0]!.history;
    expect(texts(history)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 11}`));
    expect(texts(await bob.request("history", { limit: 60 }))).toHaveLength(60);
  });

  it("keeps at most 200 messages in storage", async () => {
    // 205 frames are over the rate limit's burst of 100: let a fake clock refill one token per frame.
    let clock = 0;
    const room = testRoom(chat, { hibernate, now: () => (clock += 20) });
    const alice = await room.connect("?user=alice");
    for (let i = 1; i <= 205; i++) await alice.send("say", { text: `m${i}` });
    expect(alice.events("said")).toHaveLength(205);
    const kept = await room.storage.list({ prefix: "said:" });
    expect(kept.size).toBe(200);
    expect(texts([...kept.values()] as Said[])).toEqual(Array.from({ length: 200 }, (_, i) => `m${i + 6}`));
    expect(texts(await alice.request("history", { limit: 200 }))[0]).toBe("m6");
  });

  it("closes a frame over 64 KiB with 1009", async () => {
    const room = open();
    const alice = await room.connect("?user=alice");
    await alice.sendRaw(JSON.stringify({ type: "say", data: { text: "x".repeat(64 * 1024) } }));
    expect(alice.closedBy?.code).toBe(1009);
  });
});
