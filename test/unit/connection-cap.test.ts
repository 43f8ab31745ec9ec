import { Hono } from "hono";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import {
  ConnectionCap,
  defaultConnectionCap,
  defineRoom,
  FALLBACK_CONNECTION_CAP,
  LocalRooms,
  memoryStore,
  openFileLimit,
  type AcceptedUpgrade,
  type Attachment,
  type RoomHost,
} from "../../src/index.ts";

/** The cap in front of a fake host: `accept` records the upgrade; the test opens and closes its socket by hand. */
function setup(max: number, options: { prefix?: string; mount?: string; accept?: RoomHost["accept"] } = {}) {
  const cap = new ConnectionCap(max, "a test");
  const accepted: AcceptedUpgrade[] = [];
  const hooks: string[] = [];
  let hold: Promise<void> | undefined;
  const chat = defineRoom({
    async upgrade(request) {
      const who = new URL(request.url).searchParams.get("who") ?? "anon";
      hooks.push(who);
      await hold;
      if (who === "nobody") return new Response("who are you?", { status: 401 });
      return { who };
    },
    events: { noop: v.optional(v.object({})) },
    on: { noop() {} },
    http: () => new Response("room http"),
  });
  const routes = cap.routes(
    { rooms: { chat }, ...(options.prefix !== undefined && { prefix: options.prefix }) },
    {
      accept:
        options.accept ??
        ((_c, upgrade) => {
          accepted.push(upgrade);
          return new Response(null);
        }),
      http: () => new Response("room http"),
    },
  );
  // Mounted in a user's app when `mount` is given, as `app.route("/api", rooms.app)`.
  const app = options.mount === undefined ? routes : new Hono().route(options.mount, routes);
  const prefix = (options.mount ?? "") + (options.prefix ?? "/rooms");
  const upgrade = (query = "") =>
    app.request(`http://example.test${prefix}/chat/a${query}`, { headers: { upgrade: "websocket", connection: "Upgrade" } });
  /** Accepts one upgrade and opens its socket. */
  const openOne = async () => {
    expect((await upgrade()).status).toBe(200);
    cap.opened(accepted.at(-1)!.attachment);
  };
  return {
    cap,
    app,
    accepted,
    hooks,
    upgrade,
    openOne,
    check: () => app.request(`http://example.test${prefix}/chat/a?roomwire_check=1`),
    plain: () => app.request(`http://example.test${prefix}/chat/a`, { method: "POST", body: "{}" }),
    holdHooks(until: Promise<void>) {
      hold = until;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the open-file limit", () => {
  const limits = (soft: string, hard = "1048576") =>
    `Limit                     Soft Limit           Hard Limit           Units     \nMax processes             63429                63429                processes \nMax open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     \nMax locked memory         8388608              8388608              bytes     \n`;

  it("is read from the soft column of /proc/self/limits", () => {
    expect(openFileLimit(limits("1024"))).toBe(1024);
    expect(openFileLimit(limits("256", "4096"))).toBe(256);
  });

  it("is unknown when unlimited, absent or unreadable", () => {
    expect(openFileLimit(limits("unlimited"))).toBeUndefined();
    expect(openFileLimit("Max processes 10 10 processes\n")).toBeUndefined();
    expect(openFileLimit("")).toBeUndefined();
    expect(openFileLimit(undefined)).toBeUndefined();
  });

  it("gives the default cap: the limit minus max(64, limit / 8), else the fallback", () => {
    expect(defaultConnectionCap(256)).toBe(192);
    expect(defaultConnectionCap(1024)).toBe(896);
    expect(defaultConnectionCap(65_536)).toBe(57_344);
    expect(defaultConnectionCap(40)).toBe(1);
    expect(defaultConnectionCap(undefined)).toBe(FALLBACK_CONNECTION_CAP);
    expect(FALLBACK_CONNECTION_CAP).toBe(4_000);
  });

  it("is overridden by maxProcessConnections", () => {
    expect(ConnectionCap.resolve({ maxProcessConnections: 3 }, 1024).max).toBe(3);
    expect(ConnectionCap.resolve({}, 1024).max).toBe(896);
    expect(ConnectionCap.resolve({}, undefined).max).toBe(4_000);
    expect(ConnectionCap.resolve({ maxProcessConnections: Infinity }, 256).max).toBe(Infinity);
  });

  it("rejects a cap that is not a positive integer, saying what it expects", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => ConnectionCap.resolve({ maxProcessConnections: bad }, undefined)).toThrow(/maxProcessConnections must be a positive integer or Infinity/);
    }
  });
});

describe("the connection cap", () => {
  let warn: MockInstance<typeof console.warn>;
  beforeEach(() => {
    warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  });
  afterEach(() => {
    warn.mockRestore();
  });

  it("answers 503 with Retry-After past the cap, before the upgrade hook runs and before accepting", async () => {
    const { cap, upgrade, openOne, hooks, accepted } = setup(2);
    await openOne();
    await openOne();
    const refused = await upgrade("?who=late");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(refused.headers.get("connection")).toBe("close");
    expect(await refused.text()).toMatch(/as many connections as it can\. Try again in 10 seconds/);
    expect(hooks).not.toContain("late");
    expect(accepted).toHaveLength(2);
    expect(cap.count()).toBe(2);
  });

  it("counts upgrades in progress: while two hooks run, a third upgrade is refused", async () => {
    const { upgrade, hooks, holdHooks } = setup(2);
    let release!: () => void;
    holdHooks(new Promise((resolve) => (release = resolve)));
    const first = upgrade("?who=a");
    const second = upgrade("?who=b");
    await vi.waitFor(() => expect(hooks).toEqual(["a", "b"]));
    expect((await upgrade("?who=c")).status).toBe(503);
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(hooks).toEqual(["a", "b"]);
  });

  it("gives the place back when the upgrade hook refuses, a socket closes, or an accepted socket never opens", async () => {
    const { cap, upgrade, openOne, accepted } = setup(1);
    expect((await upgrade("?who=nobody")).status).toBe(401);
    expect(cap.count()).toBe(0);

    await openOne();
    expect((await upgrade()).status).toBe(503);
    cap.closed();
    expect(cap.count()).toBe(0);

    expect((await upgrade()).status).toBe(200);
    expect(cap.count()).toBe(1);
    cap.abandoned(accepted.at(-1)!.attachment);
    expect(cap.count()).toBe(0);

    vi.useFakeTimers({ now: 1_000_000 });
    expect((await upgrade()).status).toBe(200);
    expect((await upgrade()).status).toBe(503);
    vi.setSystemTime(1_000_000 + 10_001);
    expect(cap.count()).toBe(0);
    expect((await upgrade()).status).toBe(200);
  });

  it("gives the place back when the host fails to accept", async () => {
    const refusing = setup(1, { accept: () => new Response("bad handshake", { status: 400 }) });
    expect((await refusing.upgrade()).status).toBe(400);
    expect(refusing.cap.count()).toBe(0);
    const throwing = setup(1, {
      accept: () => {
        throw new Error("boom");
      },
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect((await throwing.upgrade()).status).toBe(500);
    } finally {
      error.mockRestore();
    }
    expect(throwing.cap.count()).toBe(0);
  });

  it("answers a roomwire_check 503 at the cap without counting it", async () => {
    const { cap, check, openOne } = setup(1);
    expect((await check()).status).toBe(204);
    expect(cap.count()).toBe(0);
    await openOne();
    const refused = await check();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("10");
  });

  it("neither counts nor refuses plain HTTP to a room", async () => {
    const { cap, plain, openOne } = setup(1);
    await openOne();
    const response = await plain();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("room http");
    expect(cap.count()).toBe(1);
  });

  it("counts under a custom prefix, mounted in another app", async () => {
    const { upgrade, openOne } = setup(1, { prefix: "/ws", mount: "/api" });
    await openOne();
    expect((await upgrade()).status).toBe(503);
  });

  it("tells the server log why, at most once a minute", async () => {
    const { upgrade, openOne } = setup(1);
    await openOne();
    await upgrade();
    await upgrade();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/holds 1 connections and its cap is 1 \(a test\).*ulimit -n.*maxProcessConnections/);
  });

  it("is off with Infinity", async () => {
    const { upgrade, openOne, cap } = setup(Infinity);
    for (let i = 0; i < 5; i++) await openOne();
    expect((await upgrade()).status).toBe(200);
    expect(cap.count()).toBe(6);
  });
});

describe("LocalRooms under a cap", () => {
  /** A long-running host with fake sockets: `accept` makes one, the test opens and closes it as the runtime would. */
  function host(max: number) {
    const room = defineRoom({ events: { noop: v.optional(v.object({})) }, on: { noop() {} } });
    const attachments = new Map<object, Attachment>();
    const rooms = new LocalRooms<object>({ room }, memoryStore(), {
      send: () => "sent",
      close: () => {},
      attachment: (socket) => attachments.get(socket)!,
      setAttachment: (socket, attachment) => void attachments.set(socket, attachment),
    });
    const sockets: object[] = [];
    const app = rooms.routes({ rooms: { room }, maxProcessConnections: max }, {
      accept(_c, { attachment }) {
        const socket = {};
        attachments.set(socket, attachment);
        sockets.push(socket);
        return new Response(null);
      },
      http: () => new Response(null, { status: 404 }),
    });
    const address = { type: "room", name: "a" };
    const upgrade = async () => (await app.request("http://example.test/rooms/room/a", { headers: { upgrade: "websocket" } })).status;
    return { rooms, sockets, address, upgrade };
  }

  it("counts a socket from its upgrade to its close, once however often the close is reported", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { rooms, sockets, address, upgrade } = host(1);
    expect(rooms.connections()).toEqual({ count: 0, max: 1 });
    expect(await upgrade()).toBe(200);
    expect(rooms.connections().count).toBe(1);
    rooms.open(address, sockets[0]!);
    expect(rooms.connections().count).toBe(1);
    expect(await upgrade()).toBe(503);
    rooms.closed(address, sockets[0]!, 1000, "");
    rooms.closed(address, sockets[0]!, 1006, "");
    expect(rooms.connections().count).toBe(0);
    expect(await upgrade()).toBe(200);
    await rooms.close();
  });

  it("gives the place back when a socket closes before it opened", async () => {
    const { rooms, sockets, address, upgrade } = host(1);
    expect(await upgrade()).toBe(200);
    rooms.closed(address, sockets[0]!, 1006, "");
    expect(rooms.connections().count).toBe(0);
  });
});
