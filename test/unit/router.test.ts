import { Hono } from "hono";
import { LinearRouter } from "hono/router/linear-router";
import { PatternRouter } from "hono/router/pattern-router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { TrieRouter } from "hono/router/trie-router";
import * as v from "valibot";
import { describe, expect, it, vi } from "vitest";
import { defineRoom, isRoomName, roomRoutes, type AcceptedUpgrade, type RoomHost, type RoomsOptions } from "../../src/index.ts";

/** Routing and upgrade checks, with a fake host that shows what the core decided. */

function setup(options: Partial<RoomsOptions> = {}, refuse?: RoomHost["refuse"]) {
  const upgrades: string[] = [];
  const accepted: AcceptedUpgrade[] = [];
  const hosted: string[] = [];
  const chat = defineRoom({
    upgrade(request, address) {
      upgrades.push(`${address.type}/${address.name}`);
      const user = new URL(request.url).searchParams.get("user");
      if (!user) return new Response("who are you?", { status: 401 });
      if (user === "banned") return new Response("no", { status: 403 });
      return { user };
    },
    tags: (data) => [data.user],
  });
  const web = defineRoom({
    events: { noop: v.optional(v.object({})) },
    on: { noop() {} },
    http: () => new Response("room http"),
  });
  const host: RoomHost = {
    accept(_c, upgrade) {
      accepted.push(upgrade);
      return new Response("accepted:" + JSON.stringify(upgrade.attachment.data));
    },
    http(_c, address) {
      hosted.push(`http:${address.type}/${address.name}`);
      return new Response(`http:${address.type}/${address.name}`, { status: 299 });
    },
    ...(refuse && { refuse }),
  };
  const app = roomRoutes({ rooms: { chat, web }, ...options }, host);
  const upgrade = { upgrade: "websocket", connection: "Upgrade" };
  const request = (path: string, headers: Record<string, string> = upgrade, init: RequestInit = {}) =>
    app.request(`http://example.test${path}`, { headers, ...init });
  return { app, request, upgrades, accepted, hosted, upgrade };
}

/** A request whose `url` keeps the target as sent, dot segments included, as some runtimes hand it over. */
function unresolvedRequest(url: string, headers: Record<string, string>): Request {
  return new (class extends Request {
    override get url(): string {
      return url;
    }
  })(url, { headers });
}

/** The room routes mounted in a user's Hono app, at `mount` (nested apps for each segment when `nested`). */
function mounted(mount: string, options: Partial<RoomsOptions> = {}, nested = false) {
  const rooms = setup(options);
  let app: Hono = new Hono();
  if (nested) {
    // `/api/v1` as one app per segment: `outer.route("/api", api)`, where `api.route("/v1", rooms.app)`.
    const segments = mount.split("/").filter(Boolean);
    app.route(`/${segments.at(-1)}`, rooms.app);
    for (const segment of segments.slice(0, -1).reverse()) app = new Hono().route(`/${segment}`, app);
  } else {
    app.route(mount, rooms.app);
  }
  app.get("/health", (c) => c.text("ok"));
  const request = (path: string, headers: Record<string, string> = rooms.upgrade, init: RequestInit = {}) =>
    app.request(`http://example.test${path}`, { headers, ...init });
  return { ...rooms, request };
}

describe("roomRoutes", () => {
  it("accepts an upgrade to a valid room with the upgrade hook's data", async () => {
    const { request, accepted, upgrades } = setup();
    const response = await request("/rooms/chat/lobby?user=ann");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('accepted:{"user":"ann"}');
    expect(upgrades).toEqual(["chat/lobby"]);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.address).toEqual({ type: "chat", name: "lobby" });
    expect(accepted[0]!.attachment).toMatchObject({ data: { user: "ann" }, tags: ["ann"] });
    expect(accepted[0]!.attachment.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("the Upgrade header is matched case-insensitively", async () => {
    const { request } = setup();
    const response = await request("/rooms/chat/lobby?user=ann", { upgrade: "WebSocket" });
    expect(await response.text()).toBe('accepted:{"user":"ann"}');
  });

  it.each([
    ["/rooms/nope/lobby", "an unknown type"],
    ["/rooms/chat", "a type without a name segment"],
    ["/rooms/toString/x", "an inherited property name as type"],
    ["/rooms/__proto__/x", "__proto__ as type"],
  ])("%s → 404 (%s)", async (path) => {
    const { request, upgrades } = setup();
    expect((await request(path)).status).toBe(404);
    expect(upgrades).toEqual([]);
  });

  it.each([
    ["a%20b", "a space, encoded"],
    ["x".repeat(129), "129 characters"],
    ["%ZZ", "a malformed escape"],
    ["", "empty"],
    ["a%2Fb", "an encoded slash"],
    ["a/b", "a slash"],
    ["%C3%A9", "a non-ASCII character"],
    ["a+b", "a plus sign"],
  ])("invalid name %j (%s) → 400, and the upgrade hook is not called", async (name) => {
    const { request, upgrades } = setup();
    const response = await request(`/rooms/chat/${name}?user=ann`);
    expect(response.status).toBe(400);
    expect(upgrades).toEqual([]);
  });

  it.each([".", ".."])("%j is not a room name: it is a path segment", (name) => {
    expect(isRoomName(name)).toBe(false);
    expect(isRoomName(`a${name}`)).toBe(true);
    expect(isRoomName(`${name}a`)).toBe(true);
  });

  // A runtime may hand over the request target without resolving dot segments (Deno does): roomwire refuses them itself.
  it.each(["/rooms/chat/..", "/rooms/chat/.", "/rooms/chat/%2e%2e", "/rooms/chat/%2E", "/rooms/chat/.%2e"])("%s, unresolved by the runtime → 400", async (path) => {
    const { app, upgrades, upgrade } = setup();
    const response = await app.fetch(unresolvedRequest(`http://example.test${path}?user=ann`, upgrade));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/^Invalid room name/);
    expect(upgrades).toEqual([]);
  });

  it("names that only contain dots besides . and .. are accepted", async () => {
    const { request, accepted } = setup();
    expect((await request("/rooms/chat/...?user=ann")).status).toBe(200);
    expect((await request("/rooms/chat/.lobby?user=ann")).status).toBe(200);
    expect(accepted.map((upgrade) => upgrade.address.name)).toEqual(["...", ".lobby"]);
  });

  it("a name of 128 characters from the whole allowed set is accepted", async () => {
    const { request, accepted } = setup();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
    const name = alphabet.repeat(2).slice(0, 128);
    expect(name).toHaveLength(128);
    const response = await request(`/rooms/chat/${name}?user=ann`);
    expect(response.status).toBe(200);
    expect(accepted[0]!.address.name).toBe(name);
  });

  it("a percent-encoded name of allowed characters is decoded", async () => {
    const { request, accepted } = setup();
    expect((await request("/rooms/chat/%61bc?user=ann")).status).toBe(200);
    expect(accepted[0]!.address.name).toBe("abc");
  });

  it("a non-upgrade GET to a room without an http handler → 426 with Upgrade: websocket", async () => {
    const { request, upgrades } = setup();
    const response = await request("/rooms/chat/lobby?user=ann", {});
    expect(response.status).toBe(426);
    expect(response.headers.get("upgrade")).toBe("websocket");
    expect(upgrades).toEqual([]);
  });

  it("a non-upgrade request to a room with an http handler reaches host.http", async () => {
    const { request, accepted } = setup();
    const get = await request("/rooms/web/page", {});
    expect(get.status).toBe(299);
    expect(await get.text()).toBe("http:web/page");
    const post = await request("/rooms/web/page", {}, { method: "POST", body: "x" });
    expect(await post.text()).toBe("http:web/page");
    expect(accepted).toEqual([]);
  });

  it("a POST with an Upgrade header is not an upgrade", async () => {
    const { request, upgrades } = setup();
    const response = await request("/rooms/chat/lobby?user=ann", { upgrade: "websocket" }, { method: "POST" });
    expect(response.status).toBe(426);
    expect(upgrades).toEqual([]);
  });

  it("the upgrade hook's refusal status is passed through", async () => {
    const { request, accepted } = setup();
    const missing = await request("/rooms/chat/lobby");
    expect(missing.status).toBe(401);
    expect(await missing.text()).toBe("who are you?");
    expect((await request("/rooms/chat/lobby?user=banned")).status).toBe(403);
    expect(accepted).toEqual([]);
  });

  describe("origin allowlist", () => {
    it("an array: listed origins pass, others get 403 before the upgrade hook", async () => {
      const { request, upgrades } = setup({ origins: ["https://good.example"] });
      const ok = await request("/rooms/chat/lobby?user=ann", { upgrade: "websocket", origin: "https://good.example" });
      expect(await ok.text()).toBe('accepted:{"user":"ann"}');
      expect(upgrades).toEqual(["chat/lobby"]);
      const bad = await request("/rooms/chat/lobby?user=ann", { upgrade: "websocket", origin: "https://evil.example" });
      expect(bad.status).toBe(403);
      const almost = await request("/rooms/chat/lobby?user=ann", { upgrade: "websocket", origin: "https://good.example.evil" });
      expect(almost.status).toBe(403);
      expect(upgrades).toEqual(["chat/lobby"]);
    });

    it("a function decides", async () => {
      const asked: string[] = [];
      const { request, upgrades } = setup({
        origins: (origin) => {
          asked.push(origin);
          return origin.endsWith(".good.example");
        },
      });
      expect((await request("/rooms/chat/lobby?user=a", { upgrade: "websocket", origin: "https://app.good.example" })).status).toBe(200);
      expect((await request("/rooms/chat/lobby?user=a", { upgrade: "websocket", origin: "https://bad.example" })).status).toBe(403);
      expect(asked).toEqual(["https://app.good.example", "https://bad.example"]);
      expect(upgrades).toEqual(["chat/lobby"]);
    });

    it("a function that throws refuses with 403 and reports to the error hook of the room type being opened", async () => {
      const boom = new Error("origin registry unreachable");
      const reports: { error: unknown; during: string; room: unknown }[] = [];
      const upgrades: string[] = [];
      const hooked = defineRoom({
        upgrade() {
          upgrades.push("hooked");
          return {};
        },
        error: (error, context) => void reports.push({ error, during: context.during, room: context.room }),
      });
      const other = defineRoom({ error: () => void reports.push({ error: "wrong room", during: "", room: undefined }) });
      const host: RoomHost = { accept: () => new Response("accepted"), http: () => new Response("http") };
      const app = roomRoutes({ rooms: { hooked, other }, origins: () => { throw boom; } }, host);
      const response = await app.request("http://example.test/rooms/hooked/lobby", { headers: { upgrade: "websocket", origin: "https://app.example" } });
      expect(response.status).toBe(403);
      expect(await response.text()).toBe("Origin https://app.example is not allowed to open rooms here.");
      expect(reports).toEqual([{ error: boom, during: "origin", room: undefined }]);
      expect(upgrades).toEqual([]);
      // Without an Origin header the test is not asked.
      expect((await app.request("http://example.test/rooms/hooked/lobby", { headers: { upgrade: "websocket" } })).status).toBe(200);
    });

    it("a function that throws, in a room type without an error hook, goes to console.error", async () => {
      const logged: unknown[][] = [];
      const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args));
      try {
        const boom = new Error("origin registry unreachable");
        const host: RoomHost = { accept: () => new Response("accepted"), http: () => new Response("http") };
        const app = roomRoutes({ rooms: { chat: defineRoom({}) }, origins: () => { throw boom; } }, host);
        const check = await app.request("http://example.test/rooms/chat/lobby?roomwire_check=1", { headers: { origin: "https://app.example" } });
        expect(check.status).toBe(403);
        expect(logged).toHaveLength(1);
        expect(logged[0]![0]).toMatch(/chat\/lobby.*origins test threw/);
        expect(logged[0]![1]).toBe(boom);
      } finally {
        spy.mockRestore();
      }
    });

    it("a request without an Origin header passes", async () => {
      const { request } = setup({ origins: ["https://good.example"] });
      expect((await request("/rooms/chat/lobby?user=ann")).status).toBe(200);
    });

    it("applies to plain http requests too", async () => {
      const { request } = setup({ origins: ["https://good.example"] });
      expect((await request("/rooms/web/page", { origin: "https://evil.example" })).status).toBe(403);
      expect((await request("/rooms/web/page", { origin: "https://good.example" })).status).toBe(299);
    });
  });

  describe("roomwire_since", () => {
    function resumable() {
      const accepted: AcceptedUpgrade[] = [];
      const host: RoomHost = { accept: (_c, upgrade) => (accepted.push(upgrade), new Response("accepted")), http: () => new Response("http") };
      const app = roomRoutes({ rooms: { log: defineRoom({ resume: true }), plain: defineRoom({}) } }, host);
      const since = async (query: string, type = "log") => {
        const response = await app.request(`http://example.test/rooms/${type}/x${query}`, { headers: { upgrade: "websocket" } });
        expect(response.status).toBe(200);
        return accepted.at(-1)!.attachment.since;
      };
      return since;
    }

    it.each([
      ["0", 0],
      ["2", 2],
      ["1000", 1000],
      [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ])("a decimal integer %j is the last seq the client saw", async (value, expected) => {
      expect(await resumable()(`?roomwire_since=${value}`)).toBe(expected);
    });

    it.each(["", "%20", "%202%20", "+2", "%2B2", "-1", "-0", "0x2", "0b1", "0o7", "1e3", "2.0", "2.", ".5", "02", "00", "Infinity", "NaN", "2a", "９", String(Number.MAX_SAFE_INTEGER + 1), "1" + "0".repeat(30)])(
      "%j is ignored, as if absent",
      async (value) => {
        expect(await resumable()(`?roomwire_since=${value}`)).toBeUndefined();
      },
    );

    it("absent, or for a room without resume, sets nothing", async () => {
      const since = resumable();
      expect(await since("")).toBeUndefined();
      expect(await since("?roomwire_since=3", "plain")).toBeUndefined();
    });
  });

  describe("prefix", () => {
    it("mounts the routes under the configured prefix only", async () => {
      const { request } = setup({ prefix: "/api/v1/rooms" });
      expect(await (await request("/api/v1/rooms/chat/lobby?user=ann")).text()).toBe('accepted:{"user":"ann"}');
      expect((await request("/rooms/chat/lobby?user=ann")).status).toBe(404);
      expect((await request("/api/v1/rooms/nope/lobby")).status).toBe(404);
      expect((await request("/api/v1/rooms/chat/a%20b")).status).toBe(400);
    });

    it("a trailing slash in the prefix is ignored", async () => {
      const { request } = setup({ prefix: "/live/" });
      expect((await request("/live/chat/lobby?user=ann")).status).toBe(200);
    });
  });
  describe("mounted in another Hono app", () => {
    // [where the routes are mounted, how, the options, where rooms then live]
    const mounts: [string, { nested?: boolean } & Partial<RoomsOptions>, string][] = [
      ["/", {}, "/rooms"],
      ["/ws", {}, "/ws/rooms"],
      ["/ws", { prefix: "/live" }, "/ws/live"],
      ["/ws", { prefix: "/" }, "/ws"],
      ["/api/v1", { nested: true }, "/api/v1/rooms"],
      ["/api/v1", { nested: true, prefix: "/live/rooms" }, "/api/v1/live/rooms"],
    ];

    describe.each(mounts)("at %s with %o: rooms at %s", (mount, { nested = false, ...options }, base) => {
      const app = () => mounted(mount, options, nested);

      it("accepts an upgrade with the type and name from the matched route", async () => {
        const { request, accepted, upgrades } = app();
        const response = await request(`${base}/chat/lobby?user=ann`);
        expect(await response.text()).toBe('accepted:{"user":"ann"}');
        expect(accepted[0]!.address).toEqual({ type: "chat", name: "lobby" });
        expect(upgrades).toEqual(["chat/lobby"]);
        expect((await request(`${base}/chat/%61bc?user=ann`)).status).toBe(200);
        expect(accepted[1]!.address).toEqual({ type: "chat", name: "abc" });
      });

      it("unknown type and a type without a name → 404 naming the type", async () => {
        const { request, upgrades } = app();
        const unknown = await request(`${base}/nope/lobby`);
        expect(unknown.status).toBe(404);
        expect(await unknown.text()).toMatch(/^No room type "nope" here; room routes are \/.*<type>\/<name>\.$/);
        const nameless = await request(`${base}/chat`);
        expect(nameless.status).toBe(404);
        expect(await nameless.text()).toMatch(/^Room type "chat" needs a room name; room routes are \/.*<type>\/<name>\.$/);
        expect((await request(`${base}/toString/x`)).status).toBe(404);
        expect((await request(base)).status).toBe(404);
        expect(upgrades).toEqual([]);
      });

      it.each(["a/b", "a%2Fb", "a%20b", "a%0Ab", "%ZZ", "a%ZZb", "%2561bc", "", "%C3%A9", "lobby/", "a/b/c"])("invalid name %j → 400", async (name) => {
        const { request, upgrades } = app();
        const response = await request(`${base}/chat/${name}?user=ann`);
        expect(response.status).toBe(400);
        expect(await response.text()).toMatch(/^Invalid room name/);
        expect(upgrades).toEqual([]);
      });

      it("roomwire_check, 426, plain HTTP and the origin allowlist behave as unmounted", async () => {
        const { request, hosted } = mounted(mount, { ...options, origins: ["https://good.example"] }, nested);
        expect((await request(`${base}/chat/lobby?user=ann&roomwire_check=1`, {})).status).toBe(204);
        expect((await request(`${base}/chat/lobby?roomwire_check=1`, {})).status).toBe(401);
        expect((await request(`${base}/chat/lobby?user=ann`, {})).status).toBe(426);
        expect((await request(`${base}/web/page`, {}, { method: "POST", body: "x" })).status).toBe(299);
        expect(hosted).toEqual(["http:web/page"]);
        expect((await request(`${base}/chat/lobby?user=ann`, { upgrade: "websocket", origin: "https://evil.example" })).status).toBe(403);
      });

      it("leaves the app's other routes alone", async () => {
        const { request, upgrades } = app();
        expect(await (await request("/health", {})).text()).toBe("ok");
        if (base !== "/rooms") expect((await request("/rooms/chat/lobby?user=ann")).status).toBe(404);
        expect(upgrades).toEqual([]);
      });
    });

    it.each([
      ["RegExpRouter", () => new RegExpRouter<any>()],
      ["TrieRouter", () => new TrieRouter<any>()],
      ["PatternRouter", () => new PatternRouter<any>()],
      ["LinearRouter", () => new LinearRouter<any>()],
    ])("routes the same in an app with the %s", async (_name, router) => {
      const { app: rooms, accepted } = setup();
      const app = new Hono({ router: router() }).route("/ws", rooms);
      const request = (path: string) => app.request(`http://example.test${path}`, { headers: { upgrade: "websocket" } });
      expect((await request("/ws/rooms/chat/lobby?user=ann")).status).toBe(200);
      expect(accepted[0]!.address).toEqual({ type: "chat", name: "lobby" });
      expect((await request("/ws/rooms/nope/lobby")).status).toBe(404);
      expect((await request("/ws/rooms/chat")).status).toBe(404);
      expect((await request("/ws/rooms/chat/")).status).toBe(400);
      expect((await request("/ws/rooms/chat/a/b")).status).toBe(400);
      expect((await request("/ws/rooms/chat/a%2Fb")).status).toBe(400);
      expect((await request("/ws/rooms/chat/a%0Ab")).status).toBe(400);
      expect((await request("/ws/rooms/chat/lobby/")).status).toBe(400);
      expect((await request("/ws/rooms")).status).toBe(404);
    });
  });

  describe("host.refuse", () => {
    const refusal = () => new Response("host cannot serve rooms", { status: 500 });

    it("its Response answers the check, the upgrade and plain HTTP, before the upgrade hook", async () => {
      const asked: string[] = [];
      const { request, upgrades, accepted, hosted } = setup({}, (_c, address) => {
        asked.push(`${address.type}/${address.name}`);
        return refusal();
      });
      for (const response of [
        await request("/rooms/chat/lobby?user=ann&roomwire_check=1", {}),
        await request("/rooms/chat/lobby?user=ann"),
        await request("/rooms/web/page", {}, { method: "POST", body: "x" }),
        await request("/rooms/chat/lobby?user=ann", {}),
      ]) {
        expect(response.status).toBe(500);
        expect(await response.text()).toBe("host cannot serve rooms");
      }
      expect(asked).toEqual(["chat/lobby", "chat/lobby", "web/page", "chat/lobby"]);
      expect(upgrades).toEqual([]);
      expect(accepted).toEqual([]);
      expect(hosted).toEqual([]);
    });

    it("is not asked for a request the routes refuse themselves (404, 400, 403)", async () => {
      const asked: string[] = [];
      const { request } = setup({ origins: ["https://good.example"] }, async (_c, address) => {
        asked.push(`${address.type}/${address.name}`);
        return refusal();
      });
      expect((await request("/rooms/nope/lobby")).status).toBe(404);
      expect((await request("/rooms/chat/a%20b")).status).toBe(400);
      expect((await request("/rooms/chat/lobby", { upgrade: "websocket", origin: "https://evil.example" })).status).toBe(403);
      expect(asked).toEqual([]);
    });

    it("undefined lets the request through", async () => {
      const { request, accepted } = setup({}, async () => undefined);
      expect((await request("/rooms/chat/lobby?user=ann&roomwire_check=1", {})).status).toBe(204);
      expect((await request("/rooms/chat/lobby?user=ann")).status).toBe(200);
      expect(accepted).toHaveLength(1);
    });
  });
});

describe("fallback sessions (event stream + POST) in the routes", () => {
  function fallbackSetup(options: Partial<RoomsOptions> = {}) {
    const streams: AcceptedUpgrade[] = [];
    const posts: string[] = [];
    const chat = defineRoom({
      upgrade(request) {
        const user = new URL(request.url).searchParams.get("user");
        return user ? { user } : new Response("who are you?", { status: 401 });
      },
      resume: true,
    });
    const host: RoomHost = {
      accept: () => new Response("accepted"),
      http: () => new Response("http"),
      stream: (_c, upgrade) => (streams.push(upgrade), new Response("stream")),
      post: (_c, address, session) => (posts.push(`${address.type}/${address.name}:${session}`), new Response(null, { status: 204 })),
    };
    const app = roomRoutes({ rooms: { chat }, ...options }, host);
    const request = (path: string, init: RequestInit) => app.request(`http://example.test${path}`, init);
    return { request, streams, posts };
  }
  const accept = { accept: "text/event-stream" };

  it("opens a stream through the upgrade hook, resuming from Last-Event-ID", async () => {
    const { request, streams } = fallbackSetup();
    expect(await (await request("/rooms/chat/lobby?user=ann", { headers: { ...accept, "last-event-id": "41" } })).text()).toBe("stream");
    expect(streams[0]!.attachment).toMatchObject({ data: { user: "ann" }, since: 41 });
    expect((await request("/rooms/chat/lobby", { headers: accept })).status).toBe(401);
    expect(streams).toHaveLength(1);
  });

  it("checks the origin of the stream and of every POST as it checks upgrades", async () => {
    const { request, streams, posts } = fallbackSetup({ origins: ["https://good.example"] });
    expect((await request("/rooms/chat/lobby?user=ann", { headers: { ...accept, origin: "https://evil.example" } })).status).toBe(403);
    expect((await request("/rooms/chat/lobby?roomwire_session=s1", { method: "POST", body: "{}", headers: { origin: "https://evil.example" } })).status).toBe(403);
    expect(streams).toEqual([]);
    expect(posts).toEqual([]);
    expect((await request("/rooms/chat/lobby?roomwire_session=s1", { method: "POST", body: "{}", headers: { origin: "https://good.example" } })).status).toBe(204);
    expect(posts).toEqual(["chat/lobby:s1"]);
  });

  it("takes a session's frames only by POST (405 otherwise), and without a stream host answers 426", async () => {
    const { request } = fallbackSetup();
    const get = await request("/rooms/chat/lobby?roomwire_session=s1", { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const bare = roomRoutes({ rooms: { chat: defineRoom({}) } }, { accept: () => new Response("accepted"), http: () => new Response("http") });
    expect((await bare.request("http://example.test/rooms/chat/lobby", { headers: accept })).status).toBe(426);
    expect((await bare.request("http://example.test/rooms/chat/lobby?roomwire_session=s1", { method: "POST", body: "{}" })).status).toBe(404);
  });
});
