import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { chat } from "../../examples/chat/room.ts";
import { backoffDelay, connect, DEFAULT_BACKOFF, type ClientOptions, type StatusEvent } from "../../src/client/index.ts";

/**
 * Reconnect delays on a fake clock. No runtime offers a socket that fails on
 * cue, so the WebSocket is a fake: each instance opens or fails (close 1006,
 * never opened) one tick after it is made, as its plan says; the refusal check
 * gets 503 (not a refusal), so the client keeps trying.
 */

type Plan = "open" | "fail";

interface FakeSocket {
  url: string;
  readyState: number;
  /** Ends an open socket as a dropped link would. */
  drop(): void;
}

function fakeWebSocket(plan: (index: number) => Plan) {
  const sockets: FakeSocket[] = [];
  class Fake implements FakeSocket {
    readyState = 0;
    binaryType = "blob";
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    constructor(readonly url: string) {
      const what = plan(sockets.length);
      sockets.push(this);
      setTimeout(() => {
        if (this.readyState !== 0) return;
        if (what === "open") {
          this.readyState = 1;
          this.onopen?.({});
        } else {
          this.end();
        }
      }, 0);
    }
    send(): void {}
    close(): void {
      this.readyState = 3;
    }
    drop(): void {
      this.end();
    }
    private end(): void {
      this.readyState = 3;
      this.onerror?.({});
      this.onclose?.({ code: 1006, reason: "" });
    }
  }
  return { WebSocket: Fake, sockets };
}

const unavailable = () => vi.fn(async (_url: string) => new Response("unavailable", { status: 503 }));

/** Starts a client on the fake socket; its status events are recorded. */
function start(plan: (index: number) => Plan, options: ClientOptions = {}) {
  const fake = fakeWebSocket(plan);
  const fetch = unavailable();
  const client = connect<typeof chat>("ws://rooms.test/rooms/chat/lobby", {
    WebSocket: fake.WebSocket,
    fetch,
    query: { user: "ann" },
    heartbeat: false,
    ...options,
  });
  const statuses: StatusEvent[] = [];
  client.onStatus((event) => statuses.push(event));
  const reconnects = () => statuses.filter((event) => event.status === "reconnecting");
  return { client, statuses, reconnects, sockets: fake.sockets, fetch };
}

/** Advances the fake clock until `test()` holds, at most `steps` × `stepMs`. */
async function advanceUntil(test: () => boolean, what: string, stepMs = 100, steps = 2_000): Promise<void> {
  for (let i = 0; i < steps && !test(); i++) await vi.advanceTimersByTimeAsync(stepMs);
  if (!test()) throw new Error(`never happened: ${what}`);
}

const ceiling = (attempt: number) => Math.min(DEFAULT_BACKOFF.maxDelay, DEFAULT_BACKOFF.minDelay * DEFAULT_BACKOFF.factor ** (attempt - 1));

describe("reconnect backoff", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("has the documented defaults", () => {
    expect(DEFAULT_BACKOFF).toEqual({ minDelay: 250, maxDelay: 10_000, factor: 2, resetAfter: 5_000 });
  });

  it("keeps every delay within [0, min(maxDelay, minDelay × factor^(attempt − 1))] for attempts 1–12", async () => {
    const { client, reconnects, sockets, fetch } = start(() => "fail");
    await advanceUntil(() => reconnects().length >= 12, "12 reconnect attempts");
    const events = reconnects().slice(0, 12);
    expect(events.map((event) => event.attempt)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const event of events) {
      expect(Number.isInteger(event.delay)).toBe(true);
      expect(event.delay).toBeGreaterThanOrEqual(0);
      expect(event.delay).toBeLessThanOrEqual(ceiling(event.attempt!));
      expect(event.code).toBe(1006);
    }
    // Each failed attempt asked the room whether it refuses the client, over HTTP.
    expect(fetch.mock.calls.length).toBeGreaterThanOrEqual(12);
    const check = new URL(fetch.mock.calls[0]![0]);
    expect(check.protocol).toBe("http:");
    expect(check.searchParams.get("roomwire_check")).toBe("1");
    expect(check.searchParams.get("user")).toBe("ann");
    expect(sockets.length).toBeGreaterThanOrEqual(12);
    client.close();
  });

  it("reaches the ceiling and waits exactly the delay it reports (random() = 0.999)", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const { client, reconnects, sockets } = start(() => "fail");
    // When each status event came, on the fake clock.
    const at: number[] = [];
    client.onStatus((event) => event.status === "reconnecting" && at.push(Date.now()));
    for (let attempt = 1; attempt <= 12; attempt++) {
      await advanceUntil(() => reconnects().length >= attempt, `attempt ${attempt}`, 1);
      const event = reconnects()[attempt - 1]!;
      expect(event).toMatchObject({ status: "reconnecting", attempt, delay: Math.floor(0.999 * ceiling(attempt)) });
      // The next socket comes when the delay is over, not before.
      const made = sockets.length;
      await vi.advanceTimersByTimeAsync(at[attempt - 1]! + event.delay! - 1 - Date.now());
      expect(sockets.length).toBe(made);
      await vi.advanceTimersByTimeAsync(1);
      expect(sockets.length).toBe(made + 1);
    }
    expect(reconnects().slice(6, 12).map((event) => event.delay)).toEqual(Array(6).fill(9_990));
    client.close();
  });

  it("computes backoffDelay exactly at the ends of random()", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => 0)).toBe(0);
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => 0.999)).toBe(Math.floor(0.999 * ceiling(attempt)));
    }
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0.999)).toBe(249);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999)).toBe(999);
    expect(backoffDelay(6, DEFAULT_BACKOFF, () => 0.999)).toBe(7_992);
    expect(backoffDelay(7, DEFAULT_BACKOFF, () => 0.999)).toBe(9_990);
    expect(backoffDelay(40, DEFAULT_BACKOFF, () => 0.999)).toBe(9_990);
    const custom = { minDelay: 100, maxDelay: 1_000, factor: 3, resetAfter: 1 };
    expect(backoffDelay(3, custom, () => 0.5)).toBe(450);
    expect(backoffDelay(4, custom, () => 0.5)).toBe(500);
  });

  it("resets the attempts once a connection stays open resetAfter ms, and not before", async () => {
    // Sockets 0–2 fail, 3 opens (dropped before resetAfter), 4 opens (dropped after it).
    const { client, statuses, reconnects, sockets } = start((index) => (index < 3 ? "fail" : "open"));
    await advanceUntil(() => reconnects().length === 3 && client.status === "open", "three failures, then open", 10);
    expect(reconnects().map((event) => event.attempt)).toEqual([1, 2, 3]);

    await vi.advanceTimersByTimeAsync(DEFAULT_BACKOFF.resetAfter - 100);
    sockets.at(-1)!.drop();
    expect(reconnects().at(-1)?.attempt).toBe(4);

    const opens = () => statuses.filter((event) => event.status === "open").length;
    await advanceUntil(() => opens() === 2, "open again", 10);
    await vi.advanceTimersByTimeAsync(DEFAULT_BACKOFF.resetAfter);
    sockets.at(-1)!.drop();
    expect(reconnects().at(-1)?.attempt).toBe(1);
    client.close();
  });

  it("stays closed when close() is called while it asks whether the room refuses it", async () => {
    const { WebSocket, sockets } = fakeWebSocket(() => "fail");
    let answer: (response: Response) => void = () => {};
    const fetch = vi.fn(() => new Promise<Response>((resolve) => (answer = resolve)));
    const client = connect<typeof chat>("ws://rooms.test/rooms/chat/lobby", { WebSocket, fetch, heartbeat: false });
    const statuses: StatusEvent[] = [];
    client.onStatus((event) => statuses.push(event));
    await advanceUntil(() => fetch.mock.calls.length === 1, "the refusal check", 1);
    client.close();
    answer(new Response("unavailable", { status: 503 }));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(statuses.map((event) => event.status)).toEqual(["connecting", "closed"]);
    expect(client.status).toBe("closed");
    expect(sockets.length).toBe(1);
  });
});
