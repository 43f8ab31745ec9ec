import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
const FEED = ["latency_ms", "requests_per_s", "visitors"];

interface Frame {
  type: string;
  data: { metrics: Record<string, { value: number; at: number }>; source?: string };
}

/** Polls `check` until it holds, at most `timeout` ms. */
async function eventually(check: () => Promise<boolean>, timeout = WAIT.short): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(runtimes)("dashboard on $name", (runtime) => {
  const cleanup = new Cleanup();
  const room = "main"; // each runtime has a server and data directory of its own
  let server: RunningServer;
  let roomUrl: string;
  let page: Page;
  /** The JSON frames the page received over its WebSocket, in order. */
  const frames: Frame[] = [];

  const post = async (body: string) => {
    const response = await fetch(roomUrl, { method: "POST", body, headers: { "content-type": "application/json" } });
    return { status: response.status, body: (await response.json()) as { changed?: Record<string, { value: number }>; error?: string } };
  };
  const card = (name: string) => page.locator(`.card[data-metric="${name}"]`);
  /** Waits until the card of `name` shows `value`. */
  const shows = (name: string, value: number) => page.locator(`.card[data-metric="${name}"][data-value="${value}"]`).waitFor({ timeout: WAIT.short });

  beforeAll(async () => {
    const dataDir = cleanup.add(tempDir(`roomwire-browser-dashboard-${runtime.name}-`), removeDir);
    server = cleanup.add(await startServer(runtime.dashboard, { PORT: String(await freePort()), DATA_DIR: dataDir }), (s) => s.stop());
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

  it("shows a snapshot, then a POSTed change without a reload", async () => {
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

    // Only a reload would lose this.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    expect((await post(JSON.stringify({ cpu_pct: 73 }))).status).toBe(200);
    await shows("cpu_pct", 73);
    expect(await card("cpu_pct").locator(".num").textContent()).toBe("73");
    expect(await card("cpu_pct").getAttribute("data-changes")).toBe("1");
    expect(await card("cpu_pct").locator(".delta").textContent()).toBe("31");
    // The server pushed only the change.
    const pushed = frames.filter((frame) => frame.type === "changed" && frame.data.source === "http");
    expect(pushed.map((frame) => Object.keys(frame.data.metrics))).toEqual([["cpu_pct"]]);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await screenshot(page, `dashboard-${runtime.name}-posted`);
  }, 30_000);

  it("shows the alarm-driven feed as it changes, without a reload", async () => {
    expect(page, "the previous test opened the page").toBeDefined();
    // A feed metric changes after the page had shown it: its card counts the change.
    await page.locator(FEED.map((name) => `.card[data-metric="${name}"][data-changes]`).join(", ")).first().waitFor({ timeout: WAIT.short });
    const fed = frames.filter((frame) => frame.type === "changed" && frame.data.source === "feed");
    expect(fed.length).toBeGreaterThan(0);
    for (const frame of fed) {
      const names = Object.keys(frame.data.metrics);
      expect(names.length).toBeGreaterThan(0);
      expect(FEED).toEqual(expect.arrayContaining(names));
    }
    // The page shows the latest value the feed pushed for each metric (checked until the page catches up with a tick).
    await eventually(async () => {
      const latest: Record<string, string> = {};
      for (const frame of frames) for (const [name, metric] of Object.entries(frame.data.metrics)) latest[name] = String(metric.value);
      const shown = await page.locator(".card").evaluateAll((cards) => cards.map((c) => [(c as HTMLElement).dataset.metric, (c as HTMLElement).dataset.value]));
      return JSON.stringify(Object.fromEntries(shown)) === JSON.stringify(Object.fromEntries(Object.entries(latest).sort()));
    });
    // The POSTed metrics are untouched by the feed and still shown.
    expect(await card("cpu_pct").getAttribute("data-value")).toBe("73");
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(frames.filter((frame) => frame.type === "snapshot")).toHaveLength(1);

    await screenshot(page, `dashboard-${runtime.name}`, { runtime: runtime.name, file: "dashboard.png" });
  }, 30_000);
});
