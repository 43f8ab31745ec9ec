import { describe, expect, it } from "vitest";
import { useChatServer } from "../support/chat-server.ts";
import { SsePeer } from "../support/sse-peer.ts";
import { runtimes } from "./runtimes.ts";

/**
 * The chat's spec for a client without WebSocket: an event stream plus
 * POSTs, on every runtime, beside WebSocket clients in the same rooms.
 */
describe.each(runtimes)("chat over the event-stream fallback on $name", (runtime) => {
  const chat = useChatServer(runtime.command);
  const peers: SsePeer[] = [];
  let count = 0;
  const freshRoom = () => `sse-${runtime.name}-${Date.now()}-${count++}`;
  const roomUrl = (room: string, user: string) => `${chat.server.url}/rooms/chat/${room}?user=${user}`;
  /**
   * How long until a client that went away is noticed: at once where the runtime cancels the stream, on
   * local workerd only when a keepalive write (every 5 s) fails behind wrangler's proxy, about 13 s.
   */
  const goneWithin = runtime.name === "workerd" ? 25_000 : 5_000;
  const stream = async (room: string, user: string, headers?: Record<string, string>) => {
    const peer = await SsePeer.connect(roomUrl(room, user), headers);
    peers.push(peer);
    return peer;
  };

  it("welcomes a fallback connection with itself among the peers; WebSocket peers see it join", async () => {
    const room = freshRoom();
    const bob = await chat.join(room, "bob");
    await bob.next("welcome");
    const ann = await stream(room, "ann");
    const welcome = await ann.next("welcome");
    expect(welcome.data.user).toBe("ann");
    expect(welcome.data.peers.map((peer: { user: string }) => peer.user).sort()).toEqual(["ann", "bob"]);
    expect((await bob.next("joined")).data).toEqual({ id: welcome.data.id, user: "ann" });
  });

  it("delivers said to everyone in the order the room accepted them, POSTs and WebSocket frames alike", async () => {
    const room = freshRoom();
    const ann = await stream(room, "ann");
    await ann.next("welcome");
    const bob = await chat.join(room, "bob");
    await bob.next("welcome");
    for (let i = 0; i < 10; i++) {
      ann.send("say", { text: `a${i}` });
      bob.send("say", { text: `b${i}` });
    }
    const seenByAnn: string[] = [];
    const seenByBob: string[] = [];
    for (let i = 0; i < 20; i++) {
      seenByAnn.push((await ann.next("said")).data.text);
      seenByBob.push((await bob.next("said")).data.text);
    }
    expect(seenByAnn).toEqual(seenByBob);
    expect(seenByAnn.filter((text) => text.startsWith("a"))).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
    expect(ann.posts.every((status) => status === 204)).toBe(true);
  });

  it("answers requests, and bad input with the same error frames as a WebSocket gets", async () => {
    const room = freshRoom();
    const ann = await stream(room, "ann");
    await ann.next("welcome");
    const who = await ann.request("who");
    expect(who.data.peers.map((peer: { user: string }) => peer.user)).toEqual(["ann"]);
    ann.raw("{not json");
    expect((await ann.next("error")).error.code).toBe("bad_json");
    ann.send("shout", { text: "x" });
    expect((await ann.next("error")).error.code).toBe("unknown_type");
    ann.send("say", { text: "" });
    expect((await ann.next("error")).error.code).toBe("invalid_message");
    const unknown = await ann.request("nope");
    expect(unknown.error?.code).toBe("unknown_type");
    ann.raw("ping");
    expect(await ann.next((frame) => frame === "pong")).toBe("pong");
  });

  it("tells the others when a fallback connection goes away", { timeout: 30_000 }, async () => {
    const room = freshRoom();
    const bob = await chat.join(room, "bob");
    await bob.next("welcome");
    const ann = await stream(room, "ann");
    const { id } = (await ann.next("welcome")).data;
    await bob.next("joined");
    ann.close();
    expect((await bob.next("left", goneWithin)).data).toEqual({ id, user: "ann" });
  });

  it("resumes after a cut from Last-Event-ID: what it missed, once, in order, then resume", { timeout: 30_000 }, async () => {
    const room = freshRoom();
    const bob = await chat.join(room, "bob");
    await bob.next("welcome");
    const ann = await stream(room, "ann");
    await ann.next("welcome");
    bob.send("say", { text: "before" });
    expect((await ann.next("said")).data.text).toBe("before");
    const last = ann.lastEventId;
    expect(last).toMatch(/^\d+$/);
    ann.close();
    const left = await bob.next("left", goneWithin);
    for (const text of ["m1", "m2", "m3"]) bob.send("say", { text });
    for (let i = 0; i < 3; i++) await bob.next("said");
    const again = await stream(room, "ann", { "last-event-id": last! });
    // Exactly the four numbered events after `last`, in order: ann's own left, then the three said.
    const replayed = [];
    for (let i = 0; i < 4; i++) replayed.push(await again.next((frame) => typeof frame === "object" && "seq" in frame && frame.type !== "resume"));
    expect(replayed.map((frame) => [frame.type, frame.data.text ?? frame.data.user, frame.seq])).toEqual([
      ["left", left.data.user, Number(last) + 1],
      ["said", "m1", Number(last) + 2],
      ["said", "m2", Number(last) + 3],
      ["said", "m3", Number(last) + 4],
    ]);
    expect((await again.next("resume")).seq).toBe(Number(last) + 4);
    expect(again.events("said")).toEqual([]);
  });

  it("answers a POST to an unknown session with 404, and frames over the size limit with 413", async () => {
    const room = freshRoom();
    const ann = await stream(room, "ann");
    await ann.next("welcome");
    expect(await ann.post(JSON.stringify({ type: "say", data: { text: "x" } }), "no-such-session")).toBe(404);
    expect(await ann.post("x".repeat(64 * 1024 + 1))).toBe(413);
    // The session goes on.
    ann.send("say", { text: "still here" });
    expect((await ann.next("said")).data.text).toBe("still here");
    const get = await fetch(`${chat.server.url}/rooms/chat/${room}?roomwire_session=${ann.session}`);
    expect(get.status).toBe(405);
  });

  it("refuses a fallback session the upgrade hook refuses, with its status", async () => {
    const refused = await SsePeer.connect(`${chat.server.url}/rooms/chat/${freshRoom()}`).catch((error: { status: number }) => error);
    expect((refused as { status: number }).status).toBe(401);
  });
});
