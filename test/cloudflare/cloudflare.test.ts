import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { rawRequest } from "../support/raw-http.ts";
import { runtime } from "../support/runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";

const fixture = (name: string) => resolve(import.meta.dirname, "fixtures", name);
/** The fixture Worker (fixtures/worker.ts) under wrangler, and the probe room on Bun to compare with. */
// --test-scheduled: GET /__scheduled runs the Worker's cron handler.
const workerd = runtime("workerd").command(fixture("wrangler.toml"), { args: ["--test-scheduled"] });
const bun = runtime("bun").command(fixture("probe-server.bun.ts"));

/** How long the hibernation test stays idle: workerd evicts an idle object after about 10 s. */
const IDLE_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Status and body of an upgrade the server refuses (rejects when it accepts). */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on("error", reject);
    socket.once("open", () => {
      socket.terminate();
      reject(new Error(`the upgrade to ${url} was accepted`));
    });
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, body });
        socket.terminate();
      });
    });
  });
}

describe("Cloudflare adapter on workerd", () => {
  let server: RunningServer;
  let dataDir: string;
  const peers: Peer[] = [];
  const join = async (path: string, headers?: Record<string, string>) => {
    const peer = await Peer.connect(`${server.wsUrl}${path}`, headers);
    peers.push(peer);
    return peer;
  };
  const stats = async (room: string, name?: string): Promise<{ constructed: number[]; fetches: number }> =>
    (await fetch(name === undefined ? `${server.url}/__stats/chat/${room}` : `${server.url}/__stats/${room}/${name}`)).json() as never;

  beforeAll(async () => {
    dataDir = tempDir();
    server = await startServer(workerd, { PORT: String(await freePort()), DATA_DIR: dataDir });
  });

  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await server?.stop();
    removeDir(dataDir);
  });

  it("hibernates an idle room, answers ping without waking it, and wakes with presence, data and history intact", { timeout: IDLE_MS + 20_000 }, async () => {
    const room = `hib-${Date.now()}`;
    const ann = await join(`/rooms/chat/${room}?user=ann`);
    const annId = (await ann.next("welcome")).data.id;
    const bob = await join(`/rooms/chat/${room}?user=bob`);
    const bobId = (await bob.next("welcome")).data.id;
    ann.send("say", { text: "before" });
    await bob.next("said");
    await ann.next("said");
    const before = await stats(room);
    expect(before.constructed).toHaveLength(1);

    await sleep(IDLE_MS);

    // The runtime answers ping itself: the object is not constructed for it.
    const pingAt = Date.now();
    ann.raw("ping");
    expect(await ann.next((frame) => frame === "pong")).toBe("pong");
    await sleep(500);
    const statsAt = Date.now();
    const after = await stats(room);
    // Exactly one new construction, made by the stats call itself: the object had been evicted, and the ping did not wake it.
    expect(after.constructed).toHaveLength(2);
    expect(after.constructed[1]).toBeGreaterThanOrEqual(statsAt - 50);
    expect(after.constructed.filter((at) => at >= pingAt && at < statsAt - 50)).toEqual([]);

    const who = await ann.request("who");
    expect(who.data.peers).toHaveLength(2);
    expect(who.data.peers).toEqual(expect.arrayContaining([{ id: annId, user: "ann" }, { id: bobId, user: "bob" }]));
    bob.send("say", { text: "after" });
    expect((await ann.next("said")).data).toMatchObject({ user: "bob", text: "after" });
    expect((await bob.next("said")).data).toMatchObject({ user: "bob", text: "after" });
    const history = await ann.request("history", { limit: 10 });
    expect(history.data.map((said: { user: string; text: string }) => `${said.user}:${said.text}`)).toEqual(["ann:before", "bob:after"]);
    bob.close(1000);
    expect((await ann.next("left")).data).toEqual({ id: bobId, user: "bob" });
  });

  it("a handle's call wakes a hibernated room by Durable Object RPC, and its result comes back", { timeout: IDLE_MS + 20_000 }, async () => {
    const room = `hib-call-${Date.now()}`;
    const call = async (action: string, data?: unknown) =>
      ((await (await fetch(`${server.url}/__call/${room}/${action}`, { method: "POST", body: data === undefined ? "" : JSON.stringify(data) })).json()) as { result: unknown }).result;
    const ann = await join(`/rooms/counter/${room}?user=ann`);
    await ann.next("resume");
    expect(await call("add", { by: 2 })).toBe(2);
    expect((await ann.next("total")).data).toEqual({ total: 2, by: 2, from: "server" });
    expect((await stats("counter", room)).constructed).toHaveLength(1);

    await sleep(IDLE_MS);

    const callAt = Date.now();
    expect(await call("add", { by: 3 })).toBe(5);
    // The object had been evicted: the call constructed it again, and the hibernated socket still gets the broadcast.
    const after = await stats("counter", room);
    expect(after.constructed).toHaveLength(2);
    expect(after.constructed[1]).toBeGreaterThanOrEqual(callAt - 50);
    expect((await ann.next("total")).data).toEqual({ total: 5, by: 3, from: "server" });
    expect(after.fetches).toBe(1);
  });

  it("reaches rooms through handles from the Worker's scheduled and queue handlers", async () => {
    const room = `queued-${Date.now()}`;
    const total = async (name: string) =>
      ((await (await fetch(`${server.url}/__call/${name}/total`, { method: "POST" })).json()) as { result: number }).result;
    const before = await total("cron");
    expect((await fetch(`${server.url}/__scheduled?cron=*+*+*+*+*`)).status).toBe(200);
    await expect.poll(() => total("cron"), { timeout: 10_000 }).toBe(before + 1);
    expect(await (await fetch(`${server.url}/__enqueue/${room}?by=7`, { method: "POST" })).json()).toEqual({ queued: true });
    await expect.poll(() => total(room), { timeout: 15_000 }).toBe(7);
  });

  it("refuses an upgrade in the Worker, without a request to the room's object", async () => {
    const room = `refused-${Date.now()}`;
    expect(await Peer.upgradeStatus(`${server.wsUrl}/rooms/chat/${room}`)).toBe(401);
    expect(await Peer.upgradeStatus(`${server.wsUrl}/rooms/chat/${room}?user=a%20b`)).toBe(401);
    expect((await fetch(`${server.url}/rooms/chat/${room}?user=ann`)).status).toBe(426);
    expect((await stats(room)).fetches).toBe(0);
    const ann = await join(`/rooms/chat/${room}?user=ann`);
    await ann.next("welcome");
    expect((await stats(room)).fetches).toBe(1);
  });

  it("serves the same rooms mounted under a path with app.route(\"/ws\", rooms.app)", async () => {
    const room = `mounted-${Date.now()}`;
    const ann = await join(`/rooms/chat/${room}?user=ann`);
    const annId = (await ann.next("welcome")).data.id;
    const bob = await join(`/ws/rooms/chat/${room}?user=bob`);
    expect((await bob.next("welcome")).data.peers).toEqual(expect.arrayContaining([{ id: annId, user: "ann" }]));
    expect((await ann.next("joined")).data.user).toBe("bob");
    expect((await fetch(`${server.url}/ws/rooms/chat/${room}?user=cy&roomwire_check=1`)).status).toBe(204);
    const unknown = await fetch(`${server.url}/ws/rooms/nope/${room}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/^No room type "nope" here/);
    expect((await fetch(`${server.url}/ws/rooms/chat/a%2Fb?user=ann`)).status).toBe(400);
  });

  it("a wrong binding name: the check, an upgrade and plain HTTP answer 500 naming the binding and the fix, logged once", async () => {
    const expected = /^No Durable Object binding "NO_SUCH_BINDING" in this Worker's env, .*wrangler\.toml's durable_objects\.bindings .*or pass \{ binding \}/;
    const check = await fetch(`${server.url}/misbound/rooms/chat/lobby?user=ann&roomwire_check=1`);
    expect(check.status).toBe(500);
    expect(await check.text()).toMatch(expected);
    const upgrade = await refusedUpgrade(`${server.wsUrl}/misbound/rooms/chat/lobby?user=ann`);
    expect(upgrade.status).toBe(500);
    expect(upgrade.body).toMatch(expected);
    const http = await fetch(`${server.url}/misbound/rooms/probe/lobby`, { method: "POST", body: "x" });
    expect(http.status).toBe(500);
    expect(await http.text()).toMatch(expected);
    // The routes' own answers come first.
    expect((await fetch(`${server.url}/misbound/rooms/nope/lobby`)).status).toBe(404);
    expect((await fetch(`${server.url}/misbound/rooms/chat/a%20b`)).status).toBe(400);
    // The log line reaches wrangler's output asynchronously.
    const logged = () => server.output().split('roomwire: No Durable Object binding "NO_SUCH_BINDING"').length - 1;
    for (let waited = 0; logged() === 0 && waited < 5_000; waited += 100) await sleep(100);
    await sleep(300);
    expect(logged()).toBe(1);
  });

  it("ignores a client's copy of the Worker-to-object headers", async () => {
    const room = `forge-${Date.now()}`;
    const forged = {
      "x-roomwire-connection": JSON.stringify({ id: "forged", data: { user: "admin" } }),
      "x-roomwire-room": JSON.stringify({ type: "chat", name: "elsewhere" }),
      "x-roomwire-upgrade": "websocket",
    };
    const ann = await join(`/rooms/chat/${room}?user=ann`, forged);
    const welcome = (await ann.next("welcome")).data;
    expect(welcome.user).toBe("ann");
    expect(welcome.id).not.toBe("forged");
    expect(welcome.peers).toEqual([{ id: welcome.id, user: "ann" }]);
    expect(await Peer.upgradeStatus(`${server.wsUrl}/rooms/chat/${room}`, forged)).toBe(401);
    expect((await stats("elsewhere")).fetches).toBe(0);
    // Plain HTTP to a room: the object removes the Worker's headers before the room's handler sees the request.
    const response = await fetch(`${server.url}/rooms/probe/${room}`, { method: "POST", headers: forged });
    expect(await response.json()).toEqual({ room, method: "POST", hits: 1, forged: null });
  });
});

describe.each([
  ["bun", bun],
  ["workerd", workerd],
])("probe room on %s", (name, command) => {
  let server: RunningServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir();
    server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await server?.stop();
    removeDir(dataDir);
  });

  it("passes plain HTTP requests to the room's http handler", async () => {
    const post = () => fetch(`${server.url}/rooms/probe/h1`, { method: "POST", body: "x" });
    expect(await (await post()).json()).toEqual({ room: "h1", method: "POST", hits: 1, forged: null, body: "x" });
    expect(await (await post()).json()).toEqual({ room: "h1", method: "POST", hits: 2, forged: null, body: "x" });
  });

  it("passes a POST carrying Upgrade: websocket to the room's http handler as a POST", async () => {
    // On workerd the fixture Worker adds the header itself (see worker.ts): the request crosses the Worker → object hop as sent.
    const path = name === "workerd" ? "/__with-upgrade-header/rooms/probe/u1" : "/rooms/probe/u1";
    const upgrade = name === "workerd" ? "" : "\r\nUpgrade: websocket";
    const response = await rawRequest(server.port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}${upgrade}\r\nContent-Length: 5`, "hello");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ room: "u1", method: "POST", hits: 1, forged: null, upgrade: "websocket", body: "hello" });
  });

  it("accepts initial data within 16 KiB and refuses more with 500", async () => {
    const peer = await Peer.connect(`${server.wsUrl}/rooms/probe/p1?bytes=16000`);
    expect((await peer.request("data")).data).toEqual({ size: 16000 });
    peer.drop();
    expect(await Peer.upgradeStatus(`${server.wsUrl}/rooms/probe/p1?bytes=16400`)).toBe(500);
  });

  it("fails setData over the budget with the same clear error, keeping the old data", async () => {
    const peer = await Peer.connect(`${server.wsUrl}/rooms/probe/p2?bytes=10`);
    expect((await peer.request("grow", { bytes: 16000 })).data).toEqual({ ok: true, size: 16000 });
    const over = (await peer.request("grow", { bytes: 17000 })).data;
    expect(over.ok).toBe(false);
    expect(over.size).toBe(16000);
    expect(over.error).toMatch(/^Connection data is 170\d\d bytes serialised \(with roomwire's own fields\); the budget is 16384 bytes\./);
    peer.drop();
  });
});
