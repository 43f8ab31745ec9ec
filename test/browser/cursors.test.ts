import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cursors, GRACE_MS } from "../../examples/cursors/room.ts";
import { RefusedError, testRoom } from "../../src/testing/index.ts";
import { runtimes as harness } from "../support/runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Cleanup, WAIT, launchBrowser, screenshot, viewport } from "./support.ts";

/** The cursors page (examples/cursors) in real headless Chromium, against each runtime's real server. */
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Every runtime, with its cursors entry. */
const runtimes = harness.map((runtime) => ({ name: runtime.name, command: runtime.command(runtime.apps.cursors) }));

/** The presence frames a page received, each with when the test saw it. */
interface PresenceFrame {
  kind: "snapshot" | "join" | "leave" | "state" | "count";
  member?: string;
  count?: number;
  members?: { member: string; state: unknown }[];
  state?: { name: string; cursor: { x: number; y: number } | null } | null;
  at: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds, at most `timeout` ms. */
async function eventually(check: () => Promise<boolean> | boolean, timeout = WAIT.short, what = "the condition"): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} still not true after ${timeout} ms`);
    await sleep(50);
  }
}

describe("the cursors room", () => {
  it("refuses a bad user id or name with 400 and a reason", async () => {
    const room = testRoom(cursors, { type: "cursors", name: "main" });
    for (const [query, reason] of [
      ["?name=Ann", "Add ?user=<id>"],
      ["?user=a%20b&name=Ann", "Add ?user=<id>"],
      [`?user=${"a".repeat(65)}&name=Ann`, "Add ?user=<id>"],
      ["?user=ann", "a name is 1–32 characters"],
      ["?user=ann&name=%20%20", "a name is 1–32 characters"],
      [`?user=ann&name=${"n".repeat(33)}`, "a name is 1–32 characters"],
      ["?user=ann&name=A%01nn", "no control characters"],
    ]) {
      const refused = await room.connect(query!).catch((error: unknown) => error);
      expect(refused, query).toBeInstanceOf(RefusedError);
      const response = (refused as RefusedError).response;
      expect(response.status, query).toBe(400);
      expect(await response.text(), query).toContain(reason);
    }
  });

  it("names a member on their first tab, validates the state they set, and keeps two tabs as one member", async () => {
    let now = 1_000_000;
    const room = testRoom(cursors, { type: "cursors", name: "main", now: () => now });
    const bob = await room.connect("?user=bob&name=Bob");
    const ann1 = await room.connect("?user=ann&name=%20Ann%20");
    const ann2 = await room.connect("?user=ann&name=Ann");
    const frames = () => bob.events("presence") as { kind: string; member?: string; state?: unknown }[];
    expect(frames().filter((frame) => frame.member === "ann").map((frame) => frame.kind)).toEqual(["join", "state"]);
    expect(frames().at(-1)).toEqual({ kind: "state", member: "ann", state: { name: "Ann", cursor: null } });

    await ann2.sendRaw(JSON.stringify({ type: "presence", data: { name: "Ann", cursor: { x: 0.25, y: 1 } } }));
    expect(frames().at(-1)).toEqual({ kind: "state", member: "ann", state: { name: "Ann", cursor: { x: 0.25, y: 1 } } });
    for (const bad of [{ name: "Ann", cursor: { x: 1.5, y: 0 } }, { name: "", cursor: null }, { cursor: null }, { name: "Ann", cursor: { x: Number.NaN, y: 0 } }]) {
      await ann1.sendRaw(JSON.stringify({ type: "presence", data: bad }));
      const refused = await ann1.next("error");
      expect(refused.error.code, JSON.stringify(bad)).toBe("invalid_message");
      expect(refused.error.message, JSON.stringify(bad)).toMatch(/^Invalid "presence"/);
    }
    expect(frames().at(-1)).toEqual({ kind: "state", member: "ann", state: { name: "Ann", cursor: { x: 0.25, y: 1 } } });

    // Both tabs go: ann is listed for the grace period, then leaves once.
    await ann1.close(1001);
    await ann2.close(1001);
    expect(frames().some((frame) => frame.kind === "leave")).toBe(false);
    now += GRACE_MS;
    await room.fireAlarm();
    expect(frames().filter((frame) => frame.kind === "leave")).toEqual([{ kind: "leave", member: "ann" }]);
  });
});

describe.each(runtimes)("cursors on $name", (runtime) => {
  const cleanup = new Cleanup();
  let server: RunningServer;
  let bobContext: BrowserContext;
  let annContext: BrowserContext;
  let bob: Page;
  let annA: Page;
  let annB: Page;
  /** The presence frames bob's page received, in order. */
  const frames: PresenceFrame[] = [];
  /** Errors thrown in any page. */
  const errors: string[] = [];
  const ofAnn = (kind: PresenceFrame["kind"], from = 0) => frames.slice(from).filter((frame) => frame.kind === kind && frame.member === "ann");

  const url = (user: string, name: string) => `${server.url}/?room=main&user=${user}&name=${encodeURIComponent(name)}`;
  const open = async (context: BrowserContext, user: string, name: string) => {
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(`${user}: ${error.message}`));
    await page.goto(url(user, name));
    await connected(page);
    return page;
  };
  const connected = (page: Page) => page.locator("#status[data-state=connected]").waitFor({ timeout: WAIT.long });
  /** The members a page lists, in its order. */
  const listed = (page: Page) => page.locator("#members li").evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.member));
  const count = (page: Page) => page.locator("#count").getAttribute("data-count");
  /** Waits until `page` lists exactly `members` (any order) and counts as many. */
  const lists = (page: Page, members: string[]) =>
    eventually(
      async () => JSON.stringify([...(await listed(page))].sort()) === JSON.stringify([...members].sort()) && (await count(page)) === String(members.length),
      WAIT.short,
      `the page lists ${members.join(", ")}`,
    );
  /** Where `page` draws `member`'s cursor (canvas units), or null when it does not. */
  const cursorOf = async (page: Page, member: string) => {
    const cursor = page.locator(`#board .cursor[data-cursor="${member}"]`);
    if ((await cursor.count()) === 0) return null;
    return { x: Number(await cursor.getAttribute("data-x")), y: Number(await cursor.getAttribute("data-y")) };
  };
  /** Moves the mouse of `page` to (x, y) of its canvas, in `steps` steps. */
  const moveTo = async (page: Page, x: number, y: number, steps = 5) => {
    const box = (await page.locator("#board").boundingBox())!;
    await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps });
  };
  const near = (a: number, b: number) => Math.abs(a - b) < 0.01;
  const drawsAt = (page: Page, member: string, x: number, y: number) =>
    eventually(
      async () => {
        const at = await cursorOf(page, member);
        return at !== null && near(at.x, x) && near(at.y, y);
      },
      WAIT.short,
      `${member}'s cursor at (${x}, ${y})`,
    );

  beforeAll(async () => {
    const dataDir = cleanup.add(tempDir(`roomwire-browser-cursors-${runtime.name}-`), removeDir);
    server = cleanup.add(await startServer(runtime.command, { PORT: String(await freePort()), DATA_DIR: dataDir }), (s) => s.stop());
    bobContext = cleanup.add(await browser.newContext({ viewport }), (c) => c.close());
    annContext = cleanup.add(await browser.newContext({ viewport }), (c) => c.close());
  }, 90_000);

  afterAll(() => cleanup.run(), 60_000);

  it("lists ann once however many tabs she has: bob's page shows ann and bob", async () => {
    // bob first, recording every presence frame his page receives.
    const page = await bobContext.newPage();
    page.on("pageerror", (error) => errors.push(`bob: ${error.message}`));
    page.on("websocket", (socket) =>
      socket.on("framereceived", ({ payload }) => {
        if (typeof payload !== "string" || !payload.startsWith("{")) return;
        const frame = JSON.parse(payload) as { type: string; data: Omit<PresenceFrame, "at"> };
        if (frame.type === "presence") frames.push({ ...frame.data, at: Date.now() });
      }),
    );
    await page.goto(url("bob", "Bob"));
    await connected(page);
    bob = page;
    await lists(bob, ["bob"]);

    // ann in two tabs of one browser.
    annA = await open(annContext, "ann", "Ann");
    annB = await open(annContext, "ann", "Ann");
    await lists(bob, ["ann", "bob"]);
    for (const page of [annA, annB]) await lists(page, ["ann", "bob"]);
    // One member: one join, however many tabs.
    expect(frames[0]?.kind).toBe("snapshot");
    expect(ofAnn("join")).toHaveLength(1);
    expect(await bob.locator('#members li[data-member="ann"]').textContent()).toContain("Ann");
    expect(await annA.locator('#members li[data-member="ann"]').textContent()).toContain("(you)");
  }, 90_000);

  it("moves ann's cursor in bob's page as ann moves her mouse, throttled on the client", async () => {
    expect(annA, "the previous test opened the pages").toBeDefined();
    await moveTo(annA, 0.25, 0.3);
    await drawsAt(bob, "ann", 0.25, 0.3);
    // ann's other tab draws it too: it is her member's state.
    await drawsAt(annB, "ann", 0.25, 0.3);

    // A fast sweep of 40 mouse moves: at most one frame per 50 ms leaves the page, and the last position always does.
    const from = frames.length;
    const started = Date.now();
    await moveTo(annA, 0.7, 0.6, 40);
    const took = Date.now() - started;
    await drawsAt(bob, "ann", 0.7, 0.6);
    const sent = ofAnn("state", from).length;
    expect(sent).toBeGreaterThan(0);
    expect(sent, `${sent} frames for 40 moves in ${took} ms`).toBeLessThanOrEqual(Math.ceil(took / 50) + 2);
    expect(sent).toBeLessThan(40);
  }, 60_000);

  it("draws every cursor with its name (README screenshot)", async () => {
    expect(bob, "the first test opened the pages").toBeDefined();
    // cleo joins from bob's browser: the member is the ?user, not the browser.
    const cleo = await open(bobContext, "cleo", "Cleo");
    await moveTo(cleo, 0.55, 0.22);
    await moveTo(annA, 0.3, 0.55);
    await moveTo(bob, 0.72, 0.68);
    await drawsAt(bob, "cleo", 0.55, 0.22);
    await drawsAt(bob, "ann", 0.3, 0.55);
    await drawsAt(bob, "bob", 0.72, 0.68);
    await lists(bob, ["ann", "bob", "cleo"]);
    await drawsAt(cleo, "bob", 0.72, 0.68);
    // The others' cursors glide (80 ms) to where they are.
    await sleep(300);
    await screenshot(bob, `cursors-${runtime.name}`, { runtime: runtime.name, file: "cursors.png" });
    await cleo.close();
    await lists(bob, ["ann", "bob", "cleo"]); // cleo is in her grace period
  }, 60_000);

  it("sends no leave for a reload within the grace period, even of ann's last tab", async () => {
    expect(annA, "the first test opened the pages").toBeDefined();
    const from = frames.length;
    // A reload while her other tab stays.
    await annA.reload();
    await connected(annA);
    await annA.locator('#members li[data-member="bob"]').waitFor({ timeout: WAIT.short });
    expect((await listed(annA)).filter((member) => member === "ann")).toHaveLength(1);
    expect(ofAnn("leave", from)).toHaveLength(0);

    // Her last tab reloads: she has no connection for a moment, and comes back within the grace period.
    await annB.close();
    const reloaded = Date.now();
    await annA.reload();
    await connected(annA);
    expect(Date.now() - reloaded, "the reload took longer than the grace period").toBeLessThan(GRACE_MS);
    // Past the grace period of the reload: still no leave, and no second join.
    await sleep(reloaded + GRACE_MS + 1_000 - Date.now());
    expect(ofAnn("leave", from)).toEqual([]);
    expect(ofAnn("join")).toHaveLength(1);
    expect(await listed(bob)).toContain("ann");
    expect((await listed(bob)).filter((member) => member === "ann")).toHaveLength(1);
    // Her cursor stayed where it was.
    await drawsAt(bob, "ann", 0.3, 0.55);

    // A second tab again, for the next test.
    annB = await open(annContext, "ann", "Ann");
    await sleep(300);
    expect(ofAnn("join")).toHaveLength(1);
    expect(ofAnn("leave")).toHaveLength(0);
  }, 60_000);

  it("sends one leave for ann once both her tabs closed, after the grace period and not before", async () => {
    expect(annA, "the first test opened the pages").toBeDefined();
    // cleo's grace period (previous test) is over by now.
    await lists(bob, ["ann", "bob"]);
    const closed = Date.now();
    await Promise.all([annA.close(), annB.close()]);
    // Right after the close: ann is still listed, no leave.
    await sleep(Math.min(1_000, GRACE_MS / 3));
    expect(ofAnn("leave")).toHaveLength(0);
    expect(await listed(bob)).toContain("ann");

    await eventually(() => ofAnn("leave").length > 0, GRACE_MS + WAIT.short, "ann's leave");
    const left = ofAnn("leave")[0]!;
    // Timers may fire a few ms early; the test's own clock saw the close begin before the server did.
    expect(left.at - closed, "the leave came before the grace period was over").toBeGreaterThanOrEqual(GRACE_MS - 100);
    await lists(bob, ["bob"]);
    expect(await cursorOf(bob, "ann")).toBeNull();
    // Once.
    await sleep(1_000);
    expect(ofAnn("leave")).toHaveLength(1);
    expect(ofAnn("join")).toHaveLength(1);
    expect(errors).toEqual([]);
  }, 60_000);
});
