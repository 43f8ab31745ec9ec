import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineRoom } from "../../src/index.ts";
import { testRoom, type Received } from "../../src/testing/index.ts";

/** A room whose handlers wait for `release()`, as handlers that await slow storage do. */
function slowRoom(limits: { maxQueuedMessages?: number; maxQueuedPerConnection?: number }) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handled: number[] = [];
  const definition = defineRoom({
    events: { work: v.object({ n: v.number() }) },
    requests: { ask: v.object({ n: v.number() }) },
    on: {
      work: async ({ n }) => {
        await gate;
        handled.push(n);
      },
    },
    replies: {
      ask: async ({ n }) => {
        await gate;
        handled.push(n);
        return n;
      },
    },
    limits: { rateLimit: false, ...limits },
  });
  return { definition, handled, release };
}

/** Lets the room take the frames sent so far (delivery takes a few microtasks). */
const delivered = () => new Promise((resolve) => setTimeout(resolve, 10));

const busy = (frame: Received) => typeof frame === "object" && !(frame instanceof Uint8Array) && frame.error?.code === "rate_limited";

describe("the bound on messages waiting for a room's handlers", () => {
  it("answers rate_limited, without running the handler, a message past maxQueuedPerConnection, and keeps the others' messages", async () => {
    const { definition, handled, release } = slowRoom({ maxQueuedPerConnection: 3 });
    const room = testRoom(definition);
    const greedy = await room.connect();
    const other = await room.connect();
    // The first runs at once and waits at the gate; three more queue; the fifth and sixth are refused.
    const sent = [1, 2, 3, 4, 5, 6].map((n) => greedy.sendRaw(JSON.stringify({ type: "work", data: { n } })));
    const asked = other.requestRaw("ask", { n: 100 });
    await delivered();
    expect(greedy.received.filter(busy)).toHaveLength(2);
    expect(greedy.received.filter(busy)[0]).toMatchObject({ type: "error", error: { code: "rate_limited", message: expect.stringContaining("3 of this connection's messages") } });
    expect(handled).toEqual([]);
    release();
    await Promise.all(sent);
    expect(await asked).toBe(100);
    expect(handled).toEqual([1, 2, 3, 4, 100]);
    // Once the queue has drained, the same connection is served again.
    await greedy.sendRaw(JSON.stringify({ type: "work", data: { n: 7 } }));
    expect(handled.at(-1)).toBe(7);
  });

  it("answers a request past maxQueuedMessages with a rate_limited reply carrying its id", async () => {
    const { definition, handled, release } = slowRoom({ maxQueuedMessages: 2, maxQueuedPerConnection: 100 });
    const room = testRoom(definition);
    const a = await room.connect();
    const b = await room.connect();
    const first = a.requestRaw("ask", { n: 1 }); // runs, waits at the gate
    const queued = [b.requestRaw("ask", { n: 2 }), a.requestRaw("ask", { n: 3 })];
    await delivered();
    const refused = b.requestRaw("ask", { n: 4 }).catch((error: unknown) => error);
    await delivered();
    // Answered at once, while the others still wait.
    expect(b.received.filter(busy)).toEqual([
      { type: "reply", id: "2", error: { code: "rate_limited", message: expect.stringContaining("The room is busy: 2 messages are waiting") } },
    ]);
    release();
    expect(await Promise.all([first, ...queued])).toEqual([1, 2, 3]);
    expect(await refused).toMatchObject({ body: { code: "rate_limited" } });
    expect(handled).toEqual([1, 2, 3]);
  });

  it("never refuses a room whose handlers keep up: synchronous handlers run at once", async () => {
    const definition = defineRoom({
      events: { work: v.object({ n: v.number() }) },
      on: { work: () => {} },
      limits: { rateLimit: false, maxQueuedMessages: 1, maxQueuedPerConnection: 1 },
    });
    const room = testRoom(definition);
    const client = await room.connect();
    await Promise.all(Array.from({ length: 50 }, (_, n) => client.send("work", { n })));
    expect(client.received.filter(busy)).toEqual([]);
  });
});
