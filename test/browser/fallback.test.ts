import type { Browser, Page, Request } from "playwright-core";
import type { chat } from "../../examples/chat/room.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Proxy } from "../client/proxy.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Cleanup, WAIT, launchBrowser, runtimes, screenshot, viewport } from "./support.ts";

/**
 * The chat page (examples/chat) in real headless Chromium with WebSocket
 * removed from the page before any of its scripts run: roomwire/client must
 * use the event-stream fallback (one SSE GET plus POSTs) on its own, and the
 * page must work as it does over a WebSocket, next to a page that has one.
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** What a page put on the network: its requests (method, URL, accept header) and the WebSockets it opened. */
interface Traffic {
  requests: { method: string; url: URL; accept: string | undefined }[];
  websockets: string[];
}

describe.each(runtimes)("chat page without WebSocket (event-stream fallback) on $name", (runtime) => {
  const cleanup = new Cleanup();
  const room = `fallback-${runtime.name}`;
  let server: RunningServer;
  /** ann's way to the server: a TCP proxy the test can cut (bob's page talks to the server directly). */
  let proxy: Proxy;
  /** ann: the page without WebSocket; bob: a page with one. */
  let ann: Page;
  let bob: Page;
  /** Both pages joined (the first test): the later tests need that, and fail at once without it. */
  let joined = false;
  const annTraffic: Traffic = { requests: [], websockets: [] };
  const bobTraffic: Traffic = { requests: [], websockets: [] };

  /** A page in a browser context of its own (its own storage: a second person), its traffic recorded. */
  const open = async (traffic: Traffic, withoutWebSocket: boolean) => {
    const context = cleanup.add(await browser.newContext({ viewport }), (c) => c.close());
    if (withoutWebSocket) {
      // Before any script of the page runs: as in a browser (or behind a network) where there is no WebSocket to use.
      await context.addInitScript(() => {
        delete (window as any).WebSocket;
      });
    }
    const page = await context.newPage();
    page.on("websocket", (ws) => traffic.websockets.push(ws.url()));
    page.on("request", (request: Request) => {
      traffic.requests.push({ method: request.method(), url: new URL(request.url()), accept: request.headers()["accept"] });
    });
    return page;
  };
  /** Opens the chat page at `base` for the room as `user` and joins. */
  const join = async (page: Page, base: string, user: string) => {
    await page.goto(`${base}/?room=${room}&user=${user}`);
    await page.locator("#join button[type=submit]").click();
    await page
      .locator("#status[data-state=connected]")
      .waitFor({ timeout: WAIT.short })
      .catch(async (error: Error) => {
        // Say what the page shows: the client's last reason (#status title) and notice.
        const shown = await page.evaluate(() => ({ status: document.getElementById("status")?.textContent, reason: document.getElementById("status")?.title, notice: document.getElementById("notice")?.textContent }));
        throw new Error(`${user}'s page did not connect: ${JSON.stringify(shown)}\n${error.message}`);
      });
  };
  const say = async (page: Page, text: string) => {
    await page.locator("#text").fill(text);
    await page.locator("#text").press("Enter");
  };
  const message = (page: Page, text: string) => page.locator("#messages .msg .body", { hasText: text });
  const note = (page: Page, text: string) => page.locator("#messages .note", { hasText: text });
  const peer = (page: Page, user: string) => page.locator("#peers li", { hasText: user });
  const bodies = (page: Page) => page.locator("#messages .msg .body").allTextContents();
  /** The room's path, as the page's requests name it. */
  const roomPath = `/rooms/chat/${room}`;
  const streams = (traffic: Traffic) => traffic.requests.filter((r) => r.method === "GET" && r.url.pathname === roomPath && r.accept?.includes("text/event-stream"));
  const posts = (traffic: Traffic) => traffic.requests.filter((r) => r.method === "POST" && r.url.pathname === roomPath);

  beforeAll(async () => {
    const dataDir = cleanup.add(tempDir(`roomwire-browser-fallback-${runtime.name}-`), removeDir);
    server = cleanup.add(await startServer(runtime.chat, { PORT: String(await freePort()), DATA_DIR: dataDir }), (s) => s.stop());
    proxy = cleanup.add(await Proxy.start(server.port), (p) => p.close());
  }, 90_000);

  afterAll(() => cleanup.run(), 60_000);

  it("a page without WebSocket joins over the event stream: welcomed with the history, sees the other person, messages both ways in one order", async () => {
    bob = await open(bobTraffic, false);
    await join(bob, server.url, "bob");
    expect(await bob.evaluate(() => typeof WebSocket)).toBe("function");
    await say(bob, "before ann came");
    await message(bob, "before ann came").waitFor({ timeout: WAIT.short });

    ann = await open(annTraffic, true);
    await join(ann, proxy.url, "ann");
    expect(await ann.evaluate(() => typeof WebSocket)).toBe("undefined");
    expect(await ann.locator("#status").textContent()).toBe("connected");

    // Welcomed: the page knows who it is, who is here, and the history sent before it came.
    await ann.locator("#peers li.me", { hasText: "ann" }).waitFor({ timeout: WAIT.short });
    await peer(ann, "bob").waitFor({ timeout: WAIT.short });
    await message(ann, "before ann came").waitFor({ timeout: WAIT.short });
    // bob learns ann joined, over his WebSocket.
    await note(bob, "ann joined").waitFor({ timeout: WAIT.short });
    await peer(bob, "ann").waitFor({ timeout: WAIT.short });
    joined = true;

    // Messages both ways, some of them sent back to back, show in both pages in the same order.
    await say(ann, "hello over the event stream");
    await message(bob, "hello over the event stream").waitFor({ timeout: WAIT.short });
    await message(ann, "hello over the event stream").waitFor({ timeout: WAIT.short });
    await say(bob, "hi ann, bob here");
    await message(ann, "hi ann, bob here").waitFor({ timeout: WAIT.short });
    await say(ann, "one");
    await say(ann, "two");
    await say(ann, "three");
    await message(bob, "three").waitFor({ timeout: WAIT.short });
    await message(ann, "three").waitFor({ timeout: WAIT.short });
    const expected = ["before ann came", "hello over the event stream", "hi ann, bob here", "one", "two", "three"];
    expect(await bodies(ann)).toEqual(expected);
    expect(await bodies(bob)).toEqual(expected);
    expect(await ann.locator("#messages .msg.mine .body").allTextContents()).toEqual(["hello over the event stream", "one", "two", "three"]);
    expect(await ann.locator("#notice").textContent()).toBe("");

    await screenshot(ann, `fallback-${runtime.name}`);
  }, 60_000);

  it("resumes after its link is cut: what it missed shows once, in order, and what it wrote meanwhile is sent", async () => {
    expect(joined, "the first test joined both pages").toBe(true);
    const before = await bodies(ann);
    const streamsBefore = streams(annTraffic).length;

    // Cut ann's link: every connection of hers ends at once (no close from the server), new ones wait.
    proxy.pause("hold");
    try {
      proxy.drop();
      await ann.locator("#status[data-state=reconnecting]").waitFor({ timeout: WAIT.short });
      // bob writes while ann is cut off; ann writes too (her client queues it until it is back).
      await say(bob, "while ann was away 1");
      await say(bob, "while ann was away 2");
      await message(bob, "while ann was away 2").waitFor({ timeout: WAIT.short });
      await say(ann, "written by ann while away");
      await ann.locator("#notice", { hasText: "Offline" }).waitFor({ timeout: WAIT.short });
      expect(await bodies(ann)).toEqual(before);
    } finally {
      proxy.resume();
    }

    await ann.locator("#status[data-state=connected]").waitFor({ timeout: WAIT.long });
    await message(ann, "written by ann while away").waitFor({ timeout: WAIT.short });
    await message(bob, "written by ann while away").waitFor({ timeout: WAIT.short });
    const expected = [...before, "while ann was away 1", "while ann was away 2", "written by ann while away"];
    expect(await bodies(ann)).toEqual(expected);
    expect(await bodies(bob)).toEqual(expected);
    await peer(ann, "bob").waitFor({ timeout: WAIT.short });
    await peer(bob, "ann").waitFor({ timeout: WAIT.short });
    expect(await ann.locator("#notice").textContent()).toBe("");

    // It came back on a new event stream that asked to resume after the last event it had seen.
    const again = streams(annTraffic).slice(streamsBefore);
    expect(again.length, "a new event stream after the cut").toBeGreaterThan(0);
    expect(again.at(-1)!.url.searchParams.get("roomwire_since"), "the new stream resumes").toMatch(/^\d+$/);
    expect(annTraffic.websockets).toEqual([]);
  }, 90_000);

  it("a request from the page is answered over the event stream", async () => {
    expect(joined, "the first test joined both pages").toBe(true);
    // The page's own client makes no request (its welcome carries the history), so the page asks with
    // roomwire/client as the page loads it (/client.js), where there is no WebSocket either.
    const answer = await ann.evaluate(async (path) => {
      // Through Function, so the test's transform leaves this import() alone: the browser runs it.
      const load = new Function("url", "return import(url)") as (url: string) => Promise<typeof import("../../src/client/index.ts")>;
      const { connect } = await load(location.origin + "/client.js");
      const client = connect<typeof chat>("ws://" + location.host + path, { query: { user: "ann-asks" } });
      try {
        const history = await client.request("history", { limit: 3 }, { timeout: 8_000 });
        const who = await client.request("who", {}, { timeout: 8_000 });
        return { history: history.map((m) => m.text), who: who.peers.map((p) => p.user).sort() };
      } finally {
        client.close();
      }
    }, roomPath);
    expect(answer.history).toEqual(["while ann was away 1", "while ann was away 2", "written by ann while away"]);
    expect(answer.who).toEqual(expect.arrayContaining(["ann", "ann-asks", "bob"]));
    expect(annTraffic.websockets).toEqual([]);
  }, 30_000);

  it("sees the WebSocket page leave; made no WebSocket, only its event stream and POSTs", async () => {
    expect(joined, "the first test joined both pages").toBe(true);
    await bob.close();
    await note(ann, "bob left").waitFor({ timeout: WAIT.short });
    await peer(ann, "bob").waitFor({ state: "detached", timeout: WAIT.short });
    expect(await ann.locator("#peers li.me").textContent()).toBe("ann (you)");

    // ann's page: no WebSocket at all; event streams (GET, accept text/event-stream) and POSTs to its session.
    expect(annTraffic.websockets).toEqual([]);
    expect(streams(annTraffic).length).toBeGreaterThanOrEqual(3); // the page's first, its one after the cut, and the asking client's
    const annPosts = posts(annTraffic);
    expect(annPosts.length).toBeGreaterThan(0);
    for (const post of annPosts) expect(post.url.searchParams.get("roomwire_session"), post.url.href).toMatch(/.+/);
    // Anything else ann's page asked of the room route was the client's refusal check, never an upgrade.
    const other = annTraffic.requests.filter((r) => r.url.pathname === roomPath && !streams(annTraffic).includes(r) && !annPosts.includes(r));
    for (const request of other) expect(request.url.searchParams.get("roomwire_check"), `${request.method} ${request.url.href}`).toBe("1");

    // The same seen on the wire: not one upgrade request went through ann's proxy.
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.upgrades).toBe(0);

    // bob's page, for contrast: one WebSocket to the room, no event stream.
    expect(bobTraffic.websockets.map((url) => new URL(url).pathname)).toEqual([roomPath]);
    expect(streams(bobTraffic)).toEqual([]);
  }, 30_000);
});
