import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Cleanup, WAIT, launchBrowser, runtimes, screenshot, viewport } from "./support.ts";

/** The chat page (examples/chat) in real headless Chromium, against each runtime's real server. */
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(runtimes)("chat page on $name", (runtime) => {
  const cleanup = new Cleanup();
  const room = "lobby"; // each runtime has a server and data directory of its own
  let dataDir: string;
  let port: number;
  let server: RunningServer;
  let ann: Page;
  let bob: Page;

  const start = async () => {
    server = cleanup.add(await startServer(runtime.chat, { PORT: String(port), DATA_DIR: dataDir }), (s) => s.stop());
    return server;
  };

  /** Opens the page in a browser context of its own (its own storage: a second person) and joins the room. */
  const join = async (user: string) => {
    const context = cleanup.add(await browser.newContext({ viewport }), (c) => c.close());
    const page = await context.newPage();
    await page.goto(`${server.url}/?room=${room}&user=${user}`);
    await page.locator("#join button[type=submit]").click();
    await page.locator("#status[data-state=connected]").waitFor({ timeout: WAIT.short });
    return page;
  };
  const say = async (page: Page, text: string) => {
    await page.locator("#text").fill(text);
    await page.locator("#text").press("Enter");
  };
  const message = (page: Page, text: string) => page.locator("#messages .msg .body", { hasText: text });
  const peer = (page: Page, user: string) => page.locator("#peers li", { hasText: user });
  const bodies = (page: Page) => page.locator("#messages .msg .body").allTextContents();

  beforeAll(async () => {
    dataDir = cleanup.add(tempDir(`roomwire-browser-chat-${runtime.name}-`), removeDir);
    port = await freePort();
    await start();
  }, 90_000);

  afterAll(() => cleanup.run(), 60_000);

  it("two people in one room see each other's messages and presence", async () => {
    ann = await join("ann");
    await peer(ann, "ann").waitFor({ timeout: WAIT.short });
    bob = await join("bob");

    // Presence: each lists the other; ann is told bob joined.
    await peer(ann, "bob").waitFor({ timeout: WAIT.short });
    await ann.locator("#messages .note", { hasText: "bob joined" }).waitFor({ timeout: WAIT.short });
    await peer(bob, "ann").waitFor({ timeout: WAIT.short });
    expect(await bob.locator("#peers li.me").textContent()).toContain("bob");

    await say(ann, "hello from ann");
    await message(bob, "hello from ann").waitFor({ timeout: WAIT.short });
    await message(ann, "hello from ann").waitFor({ timeout: WAIT.short });
    await say(bob, "hi ann, bob here");
    await message(ann, "hi ann, bob here").waitFor({ timeout: WAIT.short });
    expect(await bodies(ann)).toEqual(["hello from ann", "hi ann, bob here"]);
    expect(await bodies(bob)).toEqual(["hello from ann", "hi ann, bob here"]);
    // Each page marks its own messages.
    expect(await ann.locator("#messages .msg.mine .body").allTextContents()).toEqual(["hello from ann"]);

    await screenshot(ann, `chat-${runtime.name}-ann`, { runtime: runtime.name, file: "chat.png" });
    await screenshot(bob, `chat-${runtime.name}-bob`);
  }, 60_000);

  it("shows it is reconnecting while the server restarts, then reconnects and shows the history", async () => {
    expect(ann, "the first test opened the pages").toBeDefined();
    await server.stop();
    await ann.locator("#status[data-state=reconnecting]").waitFor({ timeout: WAIT.short });
    await bob.locator("#status[data-state=reconnecting]").waitFor({ timeout: WAIT.short });
    expect(await ann.locator("#status").textContent()).toMatch(/reconnecting/);
    await screenshot(ann, `chat-${runtime.name}-ann-reconnecting`);

    // What ann's page shows after the restart must come from the server: forget what it showed.
    await ann.evaluate(() => (document.getElementById("messages")!.textContent = ""));
    // bob writes while offline: the client queues it and sends it once the room is back.
    await say(bob, "written while the server was down");
    await bob.locator("#notice", { hasText: "Offline" }).waitFor({ timeout: WAIT.short });

    await start();
    await ann.locator("#status[data-state=connected]").waitFor({ timeout: WAIT.long });
    await bob.locator("#status[data-state=connected]").waitFor({ timeout: WAIT.long });
    await message(ann, "written while the server was down").waitFor({ timeout: WAIT.short });
    expect(await bodies(ann)).toEqual(["hello from ann", "hi ann, bob here", "written while the server was down"]);
    await message(bob, "written while the server was down").waitFor({ timeout: WAIT.short });
    expect(await bodies(bob)).toEqual(["hello from ann", "hi ann, bob here", "written while the server was down"]);
    await peer(ann, "bob").waitFor({ timeout: WAIT.short });
    await peer(bob, "ann").waitFor({ timeout: WAIT.short });

    await screenshot(ann, `chat-${runtime.name}-ann-reconnected`);
    await screenshot(bob, `chat-${runtime.name}-bob-reconnected`);

    // Presence after the restart too: bob leaves and ann sees him go.
    await bob.locator("#leave").click();
    await ann.locator("#messages .note", { hasText: "bob left" }).waitFor({ timeout: WAIT.short });
    await peer(ann, "bob").waitFor({ state: "detached", timeout: WAIT.short });
    expect(await ann.locator("#peers li").allTextContents()).toEqual(["ann (you)"]);
  }, 90_000);
});
