import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineRoom, type CloseInfo, type OutboundLimit, type SocketPort } from "../../src/index.ts";
import { Outbound, SLOW_CONSUMER } from "../../src/outbound.ts";
import { testRoom, type Received } from "../../src/testing/index.ts";

const KIB = 1024;

/** A room whose `shout` broadcasts `size` characters and whose `blob` request replies with them; it counts the replies it built. */
function loud(outbound: Partial<OutboundLimit> | false) {
  const built: number[] = [];
  const closed: CloseInfo[] = [];
  const definition = defineRoom({
    events: { shout: v.object({ size: v.number() }) },
    requests: { blob: v.object({ size: v.number() }) },
    on: { shout: ({ size }, _connection, room) => room.broadcast("shouted", "x".repeat(size)) },
    replies: {
      blob: ({ size }) => {
        built.push(size);
        return "y".repeat(size);
      },
    },
    close: (_connection, _room, info) => void closed.push(info),
    limits: { rateLimit: false, outbound },
  });
  return { definition, built, closed };
}

describe("the outbound bound per connection", () => {
  it("closes a connection that stops reading with 1013 'slow consumer' once its queue passes maxQueuedBytes, runs close once, and spares the others", async () => {
    const { definition, closed } = loud({ maxQueuedBytes: 64 * KIB, patienceMs: 0 });
    const room = testRoom(definition);
    const slow = await room.connect();
    const fast = await room.connect();
    slow.pause();
    for (let i = 0; i < 8; i++) await fast.send("shout", { size: 10 * KIB });
    // 6 frames of ~10 KiB fit under 64 KiB; the 7th finds more than 64 KiB queued.
    expect(slow.queuedBytes).toBeGreaterThan(64 * KIB);
    expect(slow.queuedBytes).toBeLessThan(64 * KIB + 11 * KIB);
    expect(slow.closedBy).toEqual({ code: 1013, reason: SLOW_CONSUMER });
    expect(closed).toEqual([{ code: 1013, reason: SLOW_CONSUMER }]);
    expect(fast.open).toBe(true);
    expect(fast.events("shouted")).toHaveLength(8);
  });

  it("never drops a frame silently: what was queued before the close is all there, in order", async () => {
    const { definition } = loud({ maxQueuedBytes: 32 * KIB, patienceMs: 0 });
    const room = testRoom(definition);
    const slow = await room.connect();
    const fast = await room.connect();
    slow.pause();
    for (let i = 0; i < 10; i++) await fast.send("shout", { size: 8 * KIB });
    slow.resume();
    const got = slow.events("shouted");
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(10);
    // Closed after the last frame it got: nothing after a gap.
    expect(slow.closedBy?.code).toBe(1013);
  });

  it("answers a request rate_limited without building its reply while the connection's queue is over pauseRequestsAt", async () => {
    const { definition, built } = loud({ maxQueuedBytes: 1024 * KIB, pauseRequestsAt: 100 * KIB });
    const room = testRoom(definition);
    const reader = await room.connect();
    reader.pause();
    for (const id of ["a", "b", "c"]) await reader.sendRaw(JSON.stringify({ type: "blob", id, data: { size: 150 * KIB } }));
    // The first reply was built; with 150 KiB unread, the next two are refused before their handler runs.
    expect(built).toEqual([150 * KIB]);
    reader.resume();
    const replies = reader.received.filter((frame): frame is Extract<Received, { type: string }> => typeof frame === "object" && !(frame instanceof Uint8Array) && frame.type === "reply");
    expect(replies.map((frame) => [frame.id, frame.error?.code ?? (frame.data as string).length])).toEqual([
      ["a", 150 * KIB],
      ["b", "rate_limited"],
      ["c", "rate_limited"],
    ]);
    // Read up: requests run again.
    await expect(reader.requestRaw("blob", { size: 10 })).resolves.toHaveLength(10);
    expect(built).toEqual([150 * KIB, 10]);
    expect(reader.open).toBe(true);
  });

  it("closes with 1013 a connection that keeps sending requests without reading for 5 s", async () => {
    let now = 0;
    const { definition, built } = loud({ pauseRequestsAt: 10 * KIB });
    const room = testRoom(definition, { now: () => now });
    const reader = await room.connect();
    reader.pause();
    // Second 0 builds a reply that stays unread; seconds 1–5 are refused; at second 6 requests have been refused for 5 s.
    for (let second = 0; second <= 6; second++) {
      await reader.sendRaw(JSON.stringify({ type: "blob", id: second, data: { size: 20 * KIB } }));
      expect(reader.open, `after ${second} s`).toBe(second < 6);
      now += 1000;
    }
    expect(built).toEqual([20 * KIB]);
    expect(reader.closedBy).toEqual({ code: 1013, reason: SLOW_CONSUMER });
  });

  it("is off with outbound: false", async () => {
    const { definition, built } = loud(false);
    const room = testRoom(definition);
    const slow = await room.connect();
    const fast = await room.connect();
    slow.pause();
    for (let i = 0; i < 20; i++) await fast.send("shout", { size: 300 * KIB });
    await slow.sendRaw(JSON.stringify({ type: "blob", id: 1, data: { size: 10 } }));
    expect(built).toEqual([10]);
    slow.resume();
    expect(slow.open).toBe(true);
    expect(slow.events("shouted")).toHaveLength(20);
  });

  it("defaults: over 4 MiB for 1 s, or over 16 MiB at once, closes; 1 MiB pauses requests", async () => {
    let now = 0;
    const { definition, built } = loud({});
    const room = testRoom(definition, { now: () => now });
    const slow = await room.connect();
    const fast = await room.connect();
    slow.pause();
    for (let i = 0; i < 4; i++) await fast.send("shout", { size: 300 * KIB });
    // 1.2 MiB queued: requests wait for reading, the connection stays.
    await slow.sendRaw(JSON.stringify({ type: "blob", id: 1, data: { size: 10 } }));
    expect(built).toEqual([]);
    // Past 4 MiB: patience starts at the first frame that finds the queue over it.
    for (let i = 0; i < 11; i++) await fast.send("shout", { size: 300 * KIB });
    expect(slow.open).toBe(true);
    now += 999;
    await fast.send("shout", { size: 300 * KIB });
    expect(slow.open).toBe(true);
    now += 1;
    await fast.send("shout", { size: 300 * KIB });
    expect(slow.closedBy).toEqual({ code: 1013, reason: SLOW_CONSUMER });

    const stalled = await room.connect();
    stalled.pause();
    // Without waiting: more than 16 MiB queued closes at the next frame.
    for (let i = 0; i < 56 && stalled.open; i++) await fast.send("shout", { size: 300 * KIB });
    expect(stalled.closedBy).toEqual({ code: 1013, reason: SLOW_CONSUMER });
    expect(stalled.queuedBytes).toBeGreaterThan(16 * 1024 * KIB);
    expect(stalled.queuedBytes).toBeLessThan(16 * 1024 * KIB + 301 * KIB);
  });

  it("lets a burst the room sent itself drain: a queue back under the bound within patienceMs keeps the connection", async () => {
    let now = 0;
    const { definition } = loud({ maxQueuedBytes: 64 * KIB, patienceMs: 500 });
    const room = testRoom(definition, { now: () => now });
    const reader = await room.connect();
    const fast = await room.connect();
    reader.pause();
    for (let i = 0; i < 10; i++) await fast.send("shout", { size: 10 * KIB });
    now += 400;
    reader.resume();
    now += 400;
    await fast.send("shout", { size: 10 * KIB });
    expect(reader.open).toBe(true);
    expect(reader.events("shouted")).toHaveLength(11);
  });
});

describe("Outbound without a runtime's bufferedAmount (workerd)", () => {
  /** A socket port that reports no queue: the core estimates it. */
  function estimating() {
    let now = 0;
    const closed: string[] = [];
    const sent: number[] = [];
    const port: SocketPort<{ id: string }> = {
      sockets: () => [],
      send: (_socket, frame) => (sent.push(frame.length), "sent"),
      close: () => {},
      attachment: () => ({ id: "a", data: null }),
      setAttachment: () => {},
    };
    const outbound = new Outbound(port, { maxQueuedBytes: 100 * KIB, patienceMs: 0, pauseRequestsAt: 50 * KIB, assumedReadRate: 10 * KIB }, () => now, (socket, code, reason) => void closed.push(`${socket.id} ${code} ${reason}`));
    return { outbound, closed, sent, tick: (ms: number) => void (now += ms) };
  }

  it("counts what it sent, minus what the client is assumed to have read since", () => {
    const { outbound, tick } = estimating();
    const socket = { id: "a" };
    outbound.send(socket, "x".repeat(60 * KIB));
    expect(outbound.queued(socket)).toBe(60 * KIB);
    expect(outbound.mayReply(socket)).toBe("refused");
    tick(1000); // 10 KiB read
    expect(outbound.queued(socket)).toBe(50 * KIB);
    expect(outbound.mayReply(socket)).toBe("ok");
    tick(60_000);
    expect(outbound.queued(socket)).toBe(0);
  });

  it("keeps counting refusals when the estimate lets one reply through now and then: a client that never reads is closed after 5 s", () => {
    const { outbound, closed, tick } = estimating();
    const socket = { id: "a" };
    const verdicts: string[] = [];
    // A paused reader asks every 250 ms for a 30 KiB reply; the estimate drains 10 KiB/s and dips under 50 KiB between replies.
    for (let ms = 0; ms <= 12_000 && closed.length === 0; ms += 250) {
      const verdict = outbound.mayReply(socket);
      verdicts.push(verdict);
      if (verdict === "ok") outbound.send(socket, "x".repeat(30 * KIB));
      tick(250);
    }
    expect(verdicts.filter((verdict) => verdict === "ok").length).toBeGreaterThan(1);
    expect(verdicts.at(-1)).toBe("closed");
    expect(closed).toEqual([`a 1013 ${SLOW_CONSUMER}`]);
  });

  it("forgives refusals once the queue has drained under a quarter of pauseRequestsAt", () => {
    const { outbound, closed, tick } = estimating();
    const socket = { id: "a" };
    outbound.send(socket, "x".repeat(60 * KIB));
    expect(outbound.mayReply(socket)).toBe("refused");
    tick(5_000); // 10 KiB left: under 12.5 KiB, so the refusal is forgotten
    expect(outbound.mayReply(socket)).toBe("ok");
    outbound.send(socket, "x".repeat(60 * KIB));
    expect(outbound.mayReply(socket)).toBe("refused");
    tick(1_000); // 60 KiB left: refused, but counted from the new refusal, not the old one
    expect(outbound.mayReply(socket)).toBe("refused");
    expect(closed).toEqual([]);
  });

  it("closes with 1013 when a frame finds more than maxQueuedBytes estimated, and sends nothing more", () => {
    const { outbound, closed, sent, tick } = estimating();
    const socket = { id: "a" };
    for (let i = 0; i < 14; i++) {
      outbound.send(socket, "x".repeat(10 * KIB));
      tick(100); // 1 KiB read per frame of 10 KiB
    }
    // 9 KiB more per frame: the 13th finds 108 KiB queued and closes instead of sending.
    expect(closed).toEqual([`a 1013 ${SLOW_CONSUMER}`, `a 1013 ${SLOW_CONSUMER}`]);
    expect(sent).toHaveLength(12);
  });
});
