import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboard, FEED as FEED_METRICS, MAX_METRICS, RECENT, type StoredMetric } from "../../examples/dashboard/room.ts";
import { RoomCallError } from "../../src/index.ts";
import { testRoom } from "../../src/testing/index.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Cleanup, WAIT, launchBrowser, runtimes, screenshot, viewport } from "./support.ts";

/** The dashboard page (examples/dashboard) in real headless Chromium, against each runtime's real server. */
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The metrics the room's simulated feed moves. */
const FEED = Object.keys(FEED_METRICS).sort();
/** The feed's period on Bun, Deno and Node (FEED_MS); on workerd the test runs the cron itself. */
const FEED_MS = 300;

interface Frame {
  type: string;
  data: { metrics: Record<string, { value: number; at: number; recent?: number[] }>; source?: string };
}

/** Polls `check` until it holds, at most `timeout` ms. */
async function eventually(check: () => Promise<boolean> | boolean, timeout = WAIT.short): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the dashboard room's actions", () => {
  it("record sets metrics as a POST does, validated, and keeps each one's last values", async () => {
    const room = testRoom(dashboard, { type: "dashboard", name: "main" });
    const viewer = await room.connect();
    const changed = await room.handle.call("record", { cpu_pct: 42, queue: 7 });
    expect(Object.keys(changed).sort()).toEqual(["cpu_pct", "queue"]);
    expect(viewer.events("changed")).toEqual([{ metrics: changed, source: "action" }]);
    // An unchanged value is not a change.
    expect(await room.handle.call("record", { cpu_pct: 42 })).toEqual({});

    const refused = await room.handle.call("record", { "no spaces": 1 } as never).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RoomCallError);
    expect((refused as RoomCallError).code).toBe("invalid_data");

    for (let i = 1; i <= RECENT + 5; i++) await room.handle.call("record", { cpu_pct: 42 + i });
    const cpu = await room.storage.get<StoredMetric>("metric:cpu_pct");
    expect(cpu?.recent).toEqual(Array.from({ length: RECENT }, (_, i) => 48 + i));
    expect(cpu?.value).toBe(42 + RECENT + 5);

    // A room keeps at most MAX_METRICS metrics; one record of that many writes one key per metric.
    const many = Object.fromEntries(Array.from({ length: MAX_METRICS - 2 }, (_, i) => [`m${i}`, i]));
    expect(Object.keys(await room.handle.call("record", many))).toHaveLength(MAX_METRICS - 2);
    const full = await room.handle.call("record", { one_more: 1 }).catch((error: unknown) => error);
    expect((full as RoomCallError).code).toBe("too_many_metrics");
    expect((full as RoomCallError).message).toContain(`at most ${MAX_METRICS} metrics`);
  });

  it("tick moves the feed's metrics while someone watches, and does nothing otherwise", async () => {
    const room = testRoom(dashboard, { type: "dashboard", name: "main" });
    expect(await room.handle.call("tick")).toEqual({});
    expect((await room.storage.list()).size).toBe(0);
    const viewer = await room.connect();
    const first = await room.handle.call("tick");
    expect(Object.keys(first).sort()).toEqual(FEED);
    expect(viewer.events("changed")).toEqual([{ metrics: first, source: "feed" }]);
    const second = await room.handle.call("tick");
    expect(Object.keys(second).length).toBeGreaterThan(0);
    for (const name of Object.keys(second)) expect((await room.storage.get<StoredMetric>(`metric:${name}`))?.recent).toEqual([first[name]!.value, second[name]!.value]);
  });
});

describe.each(runtimes)("dashboard on $name", (runtime) => {
  const cleanup = new Cleanup();
  const room = "main"; // each runtime has a server and data directory of its own
  let server: RunningServer;
  let roomUrl: string;
  let page: Page;
  /** The JSON frames the page received over its WebSocket, in order. */
  const frames: Frame[] = [];
  const fed = () => frames.filter((frame) => frame.type === "changed" && frame.data.source === "feed");

  const post = async (body: string) => {
    const response = await fetch(roomUrl, { method: "POST", body, headers: { "content-type": "application/json" } });
    return { status: response.status, body: (await response.json()) as { changed?: Record<string, { value: number }>; error?: string } };
  };
  const card = (name: string) => page.locator(`.card[data-metric="${name}"]`);
  /** Waits until the card of `name` shows `value`. */
  const shows = (name: string, value: number) => page.locator(`.card[data-metric="${name}"][data-value="${value}"]`).waitFor({ timeout: WAIT.short });
  /** Waits until the chart of `name` has `points` points. */
  const charts = (name: string, points: number) => page.locator(`.card[data-metric="${name}"][data-points="${points}"]`).waitFor({ timeout: WAIT.short });
  /** Each metric's chart length, as the page shows it. */
  const chartLengths = async () =>
    Object.fromEntries(await page.locator(".card").evaluateAll((cards) => cards.map((c) => [(c as HTMLElement).dataset.metric, Number((c as HTMLElement).dataset.points)])));
  /**
   * One more tick of the feed: on Bun, Deno and Node the entry's timer calls the room's `tick`
   * action every FEED_MS; on workerd the test runs the Worker's cron (wrangler dev --test-scheduled).
   */
  const nextTick = async () => {
    const before = fed().length;
    if (runtime.name === "workerd") {
      const response = await fetch(`${server.url}/__scheduled?cron=*+*+*+*+*`);
      expect(response.status, await response.text()).toBe(200);
    }
    await eventually(() => fed().length > before);
  };

  beforeAll(async () => {
    const dataDir = cleanup.add(tempDir(`roomwire-browser-dashboard-${runtime.name}-`), removeDir);
    server = cleanup.add(await startServer(runtime.dashboard, { PORT: String(await freePort()), DATA_DIR: dataDir, FEED_MS: String(FEED_MS) }), (s) => s.stop());
    roomUrl = `${server.url}/rooms/dashboard/${room}`;
  }, 90_000);

  afterAll(() => cleanup.run(), 60_000);

  it("takes metrics by HTTP POST, validated, and answers with what changed", async () => {
    const first = await post(JSON.stringify({ cpu_pct: 42, memory_gb: 6.4, queue: 7 }));
    expect(first.status).toBe(200);
    expect(Object.keys(first.body.changed!).sort()).toEqual(["cpu_pct", "memory_gb", "queue"]);
    // An unchanged value is not a change.
    const again = await post(JSON.stringify({ cpu_pct: 42, queue: 8 }));
    expect(again.status).toBe(200);
    expect(Object.keys(again.body.changed!)).toEqual(["queue"]);

    for (const bad of ['{"cpu_pct": "high"}', "cpu=42", "[42]", "{}", '{"no spaces": 1}']) {
      const refused = await post(bad);
      expect(refused.status, bad).toBe(400);
      expect(refused.body.error, bad).toMatch(/^(Invalid metrics|The body is not JSON)/);
    }
    expect((await post('{"cpu_pct": "high"}')).body.error).toContain('"cpu_pct": expected a number');
  });

  it("shows a snapshot with each metric's chart, then a POSTed change without a reload", async () => {
    const context = cleanup.add(await browser.newContext({ viewport }), (c) => c.close());
    page = await context.newPage();
    page.on("websocket", (socket) =>
      socket.on("framereceived", ({ payload }) => {
        if (typeof payload === "string" && payload.startsWith("{")) frames.push(JSON.parse(payload) as Frame);
      }),
    );
    await page.goto(`${server.url}/?room=${room}`);
    await page.locator("#status[data-state=connected]").waitFor({ timeout: WAIT.short });
    await shows("cpu_pct", 42);
    await shows("queue", 8);
    expect(frames[0]?.type).toBe("snapshot");
    expect(frames[0]?.data.metrics.cpu_pct?.value).toBe(42);
    // The snapshot brings each metric's recent values; the page charts them.
    expect(frames[0]?.data.metrics.queue?.recent).toEqual([7, 8]);
    await charts("queue", 2);
    await charts("cpu_pct", 1);

    // Only a reload would lose this.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    expect((await post(JSON.stringify({ cpu_pct: 73 }))).status).toBe(200);
    await shows("cpu_pct", 73);
    expect(await card("cpu_pct").locator(".num").textContent()).toBe("73");
    expect(await card("cpu_pct").getAttribute("data-changes")).toBe("1");
    expect(await card("cpu_pct").locator(".delta").textContent()).toBe("31");
    // The chart grew by the pushed value.
    await charts("cpu_pct", 2);
    // The server pushed only the change.
    const pushed = frames.filter((frame) => frame.type === "changed" && frame.data.source === "http");
    expect(pushed.map((frame) => Object.keys(frame.data.metrics))).toEqual([["cpu_pct"]]);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await screenshot(page, `dashboard-${runtime.name}-posted`);
  }, 30_000);

  it("shows the feed that server code runs through the room's tick action, and its charts grow", async () => {
    expect(page, "the previous test opened the page").toBeDefined();
    for (let i = 0; i < 4; i++) await nextTick();
    for (const frame of fed()) {
      const names = Object.keys(frame.data.metrics);
      expect(names.length).toBeGreaterThan(0);
      expect(FEED).toEqual(expect.arrayContaining(names));
    }
    // A feed metric changes after the page had shown it: its card counts the change.
    await page.locator(FEED.map((name) => `.card[data-metric="${name}"][data-changes]`).join(", ")).first().waitFor({ timeout: WAIT.short });

    // The page shows the latest value each metric was pushed, and charts every value it was pushed since the snapshot
    // (checked until the page catches up with a tick).
    await eventually(async () => {
      const latest: Record<string, string> = {};
      const points: Record<string, number> = {};
      for (const frame of frames) {
        for (const [name, metric] of Object.entries(frame.data.metrics)) {
          latest[name] = String(metric.value);
          points[name] = Math.min(RECENT, metric.recent?.length ?? (points[name] ?? 0) + 1);
        }
      }
      const shown = await page.locator(".card").evaluateAll((cards) => cards.map((c) => [(c as HTMLElement).dataset.metric, (c as HTMLElement).dataset.value]));
      const sorted = (record: object) => JSON.stringify(Object.fromEntries(Object.entries(record).sort()));
      return sorted(Object.fromEntries(shown)) === sorted(latest) && sorted(await chartLengths()) === sorted(points);
    });
    // Every feed metric is charted; one more tick makes the charts of the metrics it moved grow, up to RECENT points.
    const before = await chartLengths();
    for (const name of FEED) expect(before[name], name).toBeGreaterThan(0);
    await nextTick();
    const moved = Object.keys(fed().at(-1)!.data.metrics);
    await eventually(async () => {
      const now = await chartLengths();
      return moved.every((name) => now[name]! > before[name]! || now[name] === RECENT);
    });

    // The POSTed metrics are untouched by the feed and still shown.
    expect(await card("cpu_pct").getAttribute("data-value")).toBe("73");
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(frames.filter((frame) => frame.type === "snapshot")).toHaveLength(1);
  }, 60_000);

  it("keeps a chart at its last values", async () => {
    expect(page, "the previous test opened the page").toBeDefined();
    // More POSTs than a chart keeps: a wave (each value differs from the one before), so the shot shows a chart.
    const values = Array.from({ length: RECENT + 6 }, (_, i) => Math.round(500 + 300 * Math.sin(i / 3) + (i % 4) * 25) / 10);
    for (let i = 0; i < values.length; i++) {
      expect((await post(JSON.stringify({ cpu_pct: values[i], memory_gb: Math.round(60 + i * 0.7 + (i % 5)) / 10 }))).status).toBe(200);
      if (i === 9) await charts("cpu_pct", 12); // 2 before, growing with each value
    }
    await shows("cpu_pct", values.at(-1)!);
    await charts("cpu_pct", RECENT);
    expect(await card("cpu_pct").locator(".spark .line").getAttribute("points")).toMatch(new RegExp(`^(\\S+ ){${RECENT - 1}}\\S+$`));
    // The room keeps the same last values, and sends them with its snapshot.
    const stored = (await (await fetch(roomUrl)).json()) as { metrics: Record<string, StoredMetric> };
    expect(stored.metrics.cpu_pct?.recent).toEqual(values.slice(-RECENT));

    await screenshot(page, `dashboard-${runtime.name}`, { runtime: runtime.name, file: "dashboard.png" });
  }, 30_000);
});
