import { describe, expect, it } from "vitest";
import { serversOf } from "../support/runtimes.ts";
import { suiteServer } from "../support/suite-server.ts";
import { Peer, type Frame } from "../support/ws-client.ts";
import { MAX_BODY_BYTES } from "../../examples/inbox/app.ts";
import { KEPT, MAX_FROM, MAX_TEXT, type InboxMessage } from "../../examples/inbox/room.ts";

/**
 * The per-user inbox (examples/inbox) on every runtime: the backend pushes
 * through `POST /push/:user` (a room handle's `call("push")`), every open
 * tab of that user gets the message, a tab that was offline is replayed
 * exactly what it missed, and nobody else sees any of it.
 */

/** The development token: the Bun, Deno and Node entries' default (PUSH_TOKEN is set empty below), wrangler.toml's [vars] on workerd. */
const TOKEN = "dev-push-token";

type Answer = { status: number; body: any };

describe.each(serversOf("inbox"))("inbox on $name", ({ name, command }) => {
  // PUSH_TOKEN empty, so the Bun, Deno and Node entries fall back to the development token (and say so).
  const suite = suiteServer(command, `roomwire-inbox-${name}-`, { PUSH_TOKEN: "" });
  const peers = suite.peers;
  let users = 0;
  /** A user id no other test uses, so every test starts from empty inboxes. */
  const freshUser = (label: string) => `${label}-${name}-${Date.now()}-${users++}`;

  /** POSTs to the push endpoint: `body` as JSON, or a string sent as it is. */
  const push = async (user: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Answer> => {
    const response = await fetch(`${suite.server.url}/push/${user}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text, and the assertion that expected JSON says so
    }
    return { status: response.status, body: parsed };
  };
  /** Opens a tab of `user` on its own inbox (optionally resuming after `since`); closed when the suite ends. */
  const tab = async (user: string, since?: number) => {
    const peer = await Peer.connect(`${suite.server.wsUrl}/rooms/inbox/${user}?user=${user}${since === undefined ? "" : `&roomwire_since=${since}`}`);
    peers.push(peer);
    return peer;
  };
  /** The next frame a peer received, whatever it is: for checking exactly what came, in order. */
  const nextFrame = (peer: Peer): Promise<Frame> => peer.next(() => true);
  const recent = async (peer: Peer, data?: unknown) => {
    const reply = await peer.request("recent", data);
    expect(reply.error).toBeUndefined();
    return reply.data.messages as InboxMessage[];
  };

  it("answers /health with ok", async () => {
    const response = await fetch(`${suite.server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
    // The process entries warn that they run on the development token; workerd has it from wrangler.toml.
    if (name !== "workerd") await expect.poll(() => suite.server.output()).toContain("PUSH_TOKEN is not set");
  });

  it("delivers a push to every open tab, replays exactly what an offline tab missed, and reaches no other user", async () => {
    const u1 = freshUser("u1");
    const u2 = freshUser("u2");
    const [a, b, c, other] = [await tab(u1), await tab(u1), await tab(u1), await tab(u2)];
    // A new inbox's sequence starts at 0; each tab is told where it stands as it joins.
    for (const peer of [a, b, c, other]) expect(await nextFrame(peer)).toEqual({ type: "resume", seq: 0 });

    const before = Date.now();
    expect(await push(u1, { text: "first" })).toEqual({ status: 200, body: { id: 1, tabs: 3 } });
    const first = await nextFrame(a);
    expect(first).toEqual({ type: "message", seq: 1, data: { id: 1, text: "first", at: expect.any(Number) } });
    expect(first.data.at).toBeGreaterThanOrEqual(before - 1_000);
    expect(first.data.at).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(await nextFrame(b)).toEqual(first);
    // The third tab goes away having seen seq 1.
    const lastSeen = (await nextFrame(c)).seq as number;
    expect(lastSeen).toBe(1);
    c.close(1000, "tab closed");
    await c.closed;

    // Two pushes while it is away: both open tabs get each, with the same id and seq. The room may
    // count the closed tab a moment longer (Node's ws reports a close once the TCP connection is gone,
    // which can be just after the client saw the close handshake), so `tabs` is 2, or 3 at first.
    const second = await push(u1, { text: "second", from: "billing" });
    const third = await push(u1, { text: "third" });
    expect(second).toEqual({ status: 200, body: { id: 2, tabs: expect.any(Number) } });
    expect(third).toEqual({ status: 200, body: { id: 3, tabs: expect.any(Number) } });
    expect([2, 3]).toContain(second.body.tabs);
    expect([2, 3]).toContain(third.body.tabs);
    const missed = [await nextFrame(a), await nextFrame(a)];
    expect(missed).toEqual([
      { type: "message", seq: 2, data: { id: 2, text: "second", from: "billing", at: expect.any(Number) } },
      { type: "message", seq: 3, data: { id: 3, text: "third", at: expect.any(Number) } },
    ]);
    expect([await nextFrame(b), await nextFrame(b)]).toEqual(missed);

    // Back with the last seq it saw: the missed messages once each, in order, then resume.
    const back = await tab(u1, lastSeen);
    expect([await nextFrame(back), await nextFrame(back), await nextFrame(back)]).toEqual([...missed, { type: "resume", seq: 3 }]);
    // The next frame after resume is the next push: nothing was replayed twice.
    expect(await push(u1, { text: "fourth" })).toEqual({ status: 200, body: { id: 4, tabs: 3 } });
    const fourth = await nextFrame(back);
    expect(fourth).toEqual({ type: "message", seq: 4, data: { id: 4, text: "fourth", at: expect.any(Number) } });
    expect(await nextFrame(a)).toEqual(fourth);
    expect(await nextFrame(b)).toEqual(fourth);

    // u2's tab saw none of u1's messages: the first frame after its resume is its own first message.
    expect(await push(u2, { text: "for u2" })).toEqual({ status: 200, body: { id: 1, tabs: 1 } });
    expect(await nextFrame(other)).toEqual({ type: "message", seq: 1, data: { id: 1, text: "for u2", at: expect.any(Number) } });

    // What a tab reads on load: the stored messages, oldest first, each user's own.
    expect(await recent(back)).toEqual([first.data, ...missed.map((frame) => frame.data), fourth.data]);
    expect((await recent(other)).map((message) => message.text)).toEqual(["for u2"]);
    for (const peer of [a, b, back, other]) expect(peer.events("message")).toEqual([]);
  });

  it("refuses a push without the right bearer token with 401, and stores nothing", async () => {
    const user = freshUser("auth");
    const refused: Record<string, string>[] = [{}, { authorization: "Bearer wrong-token" }, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of refused) {
      const answer = await push(user, { text: "sneaky" }, headers);
      expect(answer, JSON.stringify(headers)).toMatchObject({ status: 401, body: { code: "unauthorized" } });
    }
    // The scheme is case-insensitive, the token is not.
    expect(await push(user, { text: "ok" }, { authorization: `bearer ${TOKEN}` })).toEqual({ status: 200, body: { id: 1, tabs: 0 } });
    expect(await push(user, { text: "no" }, { authorization: `Bearer ${TOKEN.toUpperCase()}` })).toMatchObject({ status: 401 });
    const peer = await tab(user);
    expect((await recent(peer)).map((message) => message.text)).toEqual(["ok"]);
  });

  it("lets a connection open only its own inbox", async () => {
    const owner = freshUser("owner");
    const stranger = freshUser("stranger");
    expect(await Peer.upgradeStatus(`${suite.server.wsUrl}/rooms/inbox/${owner}?user=${stranger}`)).toBe(403);
    expect(await Peer.upgradeStatus(`${suite.server.wsUrl}/rooms/inbox/${owner}`)).toBe(401);
    expect(await Peer.upgradeStatus(`${suite.server.wsUrl}/rooms/inbox/${owner}?user=`)).toBe(401);
    expect(await Peer.upgradeStatus(`${suite.server.wsUrl}/rooms/inbox/${owner}?user=${owner}`)).toBe(101);
    // roomwire/client's check (a plain GET) learns the same refusal, with its reason.
    const check = await fetch(`${suite.server.url}/rooms/inbox/${owner}?user=${stranger}&roomwire_check=1`);
    expect(check.status).toBe(403);
    expect(await check.text()).toContain("another user");
  });

  it("answers a bad push with 400 and a message that says what is wrong, or 413 for a large body, and stores nothing", async () => {
    const user = freshUser("bad");
    const bad = async (body: unknown, status: number, message: string) => {
      const answer = await push(user, body);
      expect(answer, JSON.stringify(body).slice(0, 100)).toMatchObject({ status, body: { message: expect.stringContaining(message) } });
      return answer;
    };
    expect(await bad({}, 400, "at text")).toMatchObject({ body: { code: "invalid_data" } });
    await bad({ text: 42 }, 400, "at text");
    await bad({ text: "" }, 400, "text must not be empty");
    await bad({ text: "x".repeat(MAX_TEXT + 1) }, 400, `text must be at most ${MAX_TEXT} characters`);
    await bad({ text: "hi", from: "f".repeat(MAX_FROM + 1) }, 400, `from must be at most ${MAX_FROM} characters`);
    await bad({ text: "hi", from: 7 }, 400, "at from");
    await bad("[1, 2", 400, "The body must be JSON");
    await bad('"just text"', 400, 'Invalid data for action "push"');
    await bad("", 400, "The body must be JSON");
    expect(await bad({ text: "x".repeat(MAX_BODY_BYTES) }, 413, `over ${MAX_BODY_BYTES} bytes`)).toMatchObject({ body: { code: "too_large" } });
    // A user id that cannot name a room.
    const invalid = await fetch(`${suite.server.url}/push/a%20b`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ text: "hi" }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: "invalid_data", message: expect.stringContaining("Invalid room name") });
    // The longest text and sender are fine, and nothing before them was stored: this is message 1.
    expect(await push(user, { text: "é".repeat(MAX_TEXT), from: "f".repeat(MAX_FROM) })).toEqual({ status: 200, body: { id: 1, tabs: 0 } });
  });

  it(`keeps the last ${KEPT} messages for recent, and sends a tab that missed more than that resync`, async () => {
    const user = freshUser("many");
    const peer = await tab(user);
    expect(await nextFrame(peer)).toEqual({ type: "resume", seq: 0 });
    expect(await push(user, { text: "m1" })).toMatchObject({ status: 200, body: { id: 1 } });
    const seen = (await nextFrame(peer)).seq as number;
    peer.close();
    await peer.closed;
    // Concurrent pushes: the room runs them one at a time, so the ids are 2..total whatever the order.
    const total = KEPT + 5;
    const answers = await Promise.all(Array.from({ length: total - 1 }, (_, i) => push(user, { text: `m${i + 2}` })));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(answers.map((answer) => answer.body.id).sort((x, y) => x - y)).toEqual(Array.from({ length: total - 1 }, (_, i) => i + 2));

    // It missed more events than the replay log keeps (as many as the inbox): it learns it must reload instead.
    const back = await tab(user, seen);
    expect(await nextFrame(back)).toEqual({ type: "resync", seq: total });
    const kept = await recent(back);
    expect(kept.map((message) => message.id)).toEqual(Array.from({ length: KEPT }, (_, i) => total - KEPT + 1 + i));
    expect((await recent(back, { limit: 3 })).map((message) => message.id)).toEqual([total - 2, total - 1, total]);
    const refused = await back.request("recent", { limit: KEPT + 1 });
    expect(refused.error?.code).toBe("invalid_message");
  });
});
