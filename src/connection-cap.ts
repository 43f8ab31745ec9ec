import { Hono, type MiddlewareHandler } from "hono";
import { defaultConnectionCap } from "./open-files.ts";
import { CHECK_PARAM } from "./protocol.ts";
import { isEventStream, roomRoutes, type AcceptedUpgrade, type RoomHost, type RoomsOptions } from "./router.ts";

/** Options of a long-running host (Bun, Deno, Node), where one process serves every room. */
export interface ConnectionCapOptions {
  /**
   * Most WebSocket connections this process holds at once, across every
   * room: open sockets plus upgrades being answered. One more is answered
   * HTTP 503 with `Retry-After` before the room's `upgrade` hook runs and
   * before a socket is accepted, and a `roomwire_check` answers the same
   * while the cap is reached. Plain HTTP requests to rooms do not count.
   *
   * Default: the process's open-file soft limit minus headroom for storage
   * files and HTTP, `limit - max(64, limit / 8)` (1,024 gives 896), where
   * the adapter can read the limit (Linux `/proc/self/limits`; on Deno only
   * with `--allow-all`); elsewhere 4,000. `Infinity` turns the cap off.
   */
  maxProcessConnections?: number;
}

/** A connection-count snapshot: connections held (open plus being upgraded) and the cap. */
export interface ConnectionCount {
  count: number;
  max: number;
}

/** Seconds a refused client is told to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = 10;
/** An accepted upgrade whose socket has not opened by then stops counting: its handshake failed where no event reports it. */
const OPEN_DEADLINE_MS = 10_000;
/** The server says at most this often that it refuses connections. */
const WARN_EVERY_MS = 60_000;

/** An upgrade request while its route runs; `counted` until it is accepted or answered. */
interface Upgrading {
  counted: boolean;
}

/**
 * Counts a process's WebSocket connections (open, accepted but not yet
 * open, and upgrade requests being answered) and refuses upgrades past
 * `max` with HTTP 503, so a flood meets a clear answer before the process
 * runs out of file descriptors. Shared by every long-running adapter
 * through `LocalRooms`.
 */
export class ConnectionCap {
  private upgrading = 0;
  /** Accepted upgrades by their attachment, with the time they stop counting if their socket never opens. */
  private readonly accepted = new Map<object, number>();
  private open = 0;
  private readonly requests = new WeakMap<Request, Upgrading>();
  private warnedAt = -Infinity;

  /** `why` tells the server log where `max` came from. */
  constructor(
    readonly max: number,
    private readonly why: string,
  ) {
    if (max !== Infinity && !(Number.isSafeInteger(max) && max > 0)) {
      throw new RangeError(`maxProcessConnections must be a positive integer or Infinity, got ${max}.`);
    }
  }

  /** The cap `options` ask for, or the default for a process whose open-file soft limit is `openFileLimit` (undefined: unknown). */
  static resolve(options: ConnectionCapOptions, openFileLimit: number | undefined): ConnectionCap {
    if (options.maxProcessConnections !== undefined) return new ConnectionCap(options.maxProcessConnections, "maxProcessConnections");
    const why = openFileLimit === undefined ? "the default where the open-file limit cannot be read" : `the open-file limit ${openFileLimit} minus headroom`;
    return new ConnectionCap(defaultConnectionCap(openFileLimit), why);
  }

  /** Connections held now: open sockets, accepted upgrades not yet open, upgrade requests being answered. */
  count(): number {
    const now = Date.now();
    // Deadlines grow in insertion order, so the expired ones are at the front.
    for (const [key, deadline] of this.accepted) {
      if (deadline > now) break;
      this.accepted.delete(key);
    }
    return this.upgrading + this.accepted.size + this.open;
  }

  /**
   * The room routes, with upgrade requests counted while they are answered
   * and refused past the cap. `host.accept` hands the upgrade's place to the
   * socket; the socket's open and close are reported through `opened`,
   * `closed` and `abandoned`, keyed by the attachment `accept` received.
   */
  routes(options: RoomsOptions, host: RoomHost): Hono<any> {
    const prefix = (options.prefix ?? "/rooms").replace(/\/+$/, "");
    const app = new Hono<any>();
    app.use(`${prefix}/*`, this.track);
    app.route(
      "/",
      roomRoutes(options, {
        refuse: async (c, address) => (await host.refuse?.(c, address)) ?? this.refuse(c.req.raw),
        accept: (c, upgrade) => this.accept(c.req.raw, upgrade, () => host.accept(c, upgrade)),
        http: (c, address, definition) => host.http(c, address, definition),
        // A fallback session holds a connection like a socket: counted the same way.
        stream: host.stream && ((c, upgrade) => this.accept(c.req.raw, upgrade, () => host.stream!(c, upgrade))),
        post: host.post && ((c, address, session, definition) => host.post!(c, address, session, definition)),
        client: host.client && ((c) => host.client!(c)),
      }),
    );
    return app;
  }

  /** The socket accepted with `attachment` is open. */
  opened(attachment: object): void {
    this.accepted.delete(attachment);
    this.open++;
  }

  /** An open socket has closed. */
  closed(): void {
    this.open = Math.max(0, this.open - 1);
  }

  /** The socket accepted with `attachment` closed or failed before it opened. */
  abandoned(attachment: object): void {
    this.accepted.delete(attachment);
  }

  /** Counts an upgrade request from its arrival until its route accepts or answers it. */
  private readonly track: MiddlewareHandler = async (c, next) => {
    if (!isUpgrade(c.req.raw)) return next();
    const upgrading: Upgrading = { counted: true };
    this.requests.set(c.req.raw, upgrading);
    this.upgrading++;
    try {
      await next();
    } finally {
      this.uncount(upgrading);
    }
  };

  /** 503 for an upgrade past the cap, or for a check while the cap is reached; nothing for plain HTTP. */
  private refuse(request: Request): Response | undefined {
    const upgrading = this.requests.get(request);
    if (!upgrading && !isCheck(request)) return undefined;
    const others = this.count() - (upgrading?.counted ? 1 : 0);
    if (others < this.max) return undefined;
    this.warn(others);
    return new Response(`This server holds as many connections as it can. Try again in ${RETRY_AFTER_SECONDS} seconds.`, {
      status: 503,
      // Closing the connection gives its descriptor back; a client that kept it open would hold one per refusal.
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS), Connection: "close" },
    });
  }

  private async accept(request: Request, upgrade: AcceptedUpgrade, accept: () => Response | Promise<Response>): Promise<Response> {
    const key = upgrade.attachment;
    const upgrading = this.requests.get(request);
    this.accepted.set(key, Date.now() + OPEN_DEADLINE_MS);
    if (upgrading) this.uncount(upgrading);
    try {
      const response = await accept();
      if (response.status >= 400) this.abandoned(key);
      return response;
    } catch (error) {
      this.abandoned(key);
      throw error;
    }
  }

  private uncount(upgrading: Upgrading): void {
    if (!upgrading.counted) return;
    upgrading.counted = false;
    this.upgrading--;
  }

  private warn(held: number): void {
    const now = Date.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    console.warn(
      `roomwire: refusing WebSockets with 503: this process holds ${held} connections and its cap is ${this.max} (${this.why}). ` +
        "To hold more, raise the open-file limit (ulimit -n) or set maxProcessConnections, or add processes.",
    );
  }
}

/** An upgrade the room route would accept: the router's test, less checks. */
function isUpgrade(request: Request): boolean {
  if (isCheck(request)) return false;
  return (request.method === "GET" && request.headers.get("upgrade")?.toLowerCase() === "websocket") || isEventStream(request);
}

/** A `roomwire_check`: a GET asking whether an upgrade would be refused. */
function isCheck(request: Request): boolean {
  return request.method === "GET" && new URL(request.url).searchParams.has(CHECK_PARAM);
}
