import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineRoom, roomRoutes, type AcceptedUpgrade, type RoomHost, type RoomsOptions } from "../../src/index.ts";

/** Routing and upgrade checks, with a fake host that shows what the core decided. */

function setup(options: Partial<RoomsOptions> = {}) {
  const upgrades: string[] = [];
  const accepted: AcceptedUpgrade[] = [];
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
      return new Response(`http:${address.type}/${address.name}`, { status: 299 });
    },
  };
  const app = roomRoutes({ rooms: { chat, web }, ...options }, host);
  const upgrade = { upgrade: "websocket", connection: "Upgrade" };
  const request = (path: string, headers: Record<string, string> = upgrade, init: RequestInit = {}) =>
    app.request(`http://example.test${path}`, { headers, ...init });
  return { app, request, upgrades, accepted, upgrade };
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
});
