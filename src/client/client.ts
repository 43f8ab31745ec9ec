import { CHECK_PARAM, isFinalClose, PING, PONG, PRESENCE_TYPE, SINCE_PARAM, type ErrorBody } from "../protocol.ts";
import { backoffDelay, DEFAULT_BACKOFF, type Backoff } from "./backoff.ts";
import type { ClientSocket, FetchLike, WebSocketConstructor } from "./socket.ts";
import { EventStreamSocket, type StreamFetch } from "./event-stream-socket.ts";
import { PresenceStore } from "./presence.ts";
import type { ClientEmits, ClientEvents, ClientPresence, ClientPresenceInput, ClientRequests, DataArgs } from "./types.ts";

/** What a client is doing. */
export type ClientStatus = "connecting" | "open" | "reconnecting" | "closed";

/** A status change, with why it happened. */
export interface StatusEvent {
  status: ClientStatus;
  /** Why: a close code's reason, "heartbeat timeout", a refusal … */
  reason?: string;
  /** The close code that ended the last socket, if one did. */
  code?: number;
  /** Reconnect attempt number and its delay in ms (status "reconnecting"). */
  attempt?: number;
  delay?: number;
  /** What ended the session for good (status "closed"), if it was not `close()`. */
  error?: ClientError;
}

/** Why a send, request or session failed. */
export type ClientErrorCode = "timeout" | "disconnected" | "closed" | "refused" | "outbox_full" | "ended" | (string & {});

/** An error of the client, or a failed reply carried over from the room (`code` is then the room's, e.g. `invalid_message`). */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  /** HTTP status of a refused upgrade. */
  readonly status?: number;
  /** Validation issues of a failed reply. */
  readonly issues?: unknown[];
  constructor(code: ClientErrorCode, message: string, extra: { status?: number; issues?: unknown[] } = {}) {
    super(message);
    this.name = "ClientError";
    this.code = code;
    this.status = extra.status;
    this.issues = extra.issues;
  }
}

/** Options of `connect`. */
export interface ClientOptions {
  /** Query parameters, or a function called before every (re)connect (e.g. to refresh a token). */
  query?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** WebSocket class; default `globalThis.WebSocket`. On Node 20, pass the `ws` package's default export. */
  WebSocket?: WebSocketConstructor;
  /** `fetch` used to ask why a socket could not open; default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Reconnect delays (defaults in `DEFAULT_BACKOFF`), or `false` to never reconnect. */
  reconnect?: Partial<Backoff> | false;
  /** Most frames kept while offline. Default 1,000. */
  outbox?: number;
  /** Default request timeout, ms. Default 10,000. */
  requestTimeout?: number;
  /** `ping` every `interval` ms; no `pong` within `timeout` ms reconnects. Default 25,000 / 10,000; `false` for none. */
  heartbeat?: { interval?: number; timeout?: number } | false;
  /**
   * How to reach the room. `"auto"` (the default) opens a WebSocket, and
   * falls back to an event stream plus POSTs (SSE) when the WebSocket cannot
   * open within `fallbackAfter` ms, or where there is no WebSocket at all;
   * the choice is remembered for the page session (`sessionStorage`), and a
   * WebSocket is tried again on a reconnect once `retryWebSocketAfter` ms
   * have passed. `"websocket"` or `"sse"` use only that.
   */
  transport?: "auto" | "websocket" | "sse";
  /** ms a WebSocket may take to open before `"auto"` falls back to SSE. Default 4,000. */
  fallbackAfter?: number;
  /** ms on the fallback before a reconnect tries a WebSocket again. Default 60,000. */
  retryWebSocketAfter?: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** ms before the request rejects with `timeout`. Default: the client's `requestTimeout`. */
  timeout?: number;
  /** Safe to send again: if the socket drops before the reply, it is re-sent after the reconnect instead of rejecting. */
  retry?: boolean;
}

interface Pending {
  frame: string;
  retry: boolean;
  sent: boolean;
  resolve(data: unknown): void;
  reject(error: ClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener = (data: any) => void;

/** HTTP statuses of a refused upgrade after which reconnecting would not help. */
const REFUSALS = new Set([400, 401, 403, 404]);

/** The runtime's own WebSocket and fetch, when it has them; read without naming the DOM lib's types. */
const runtime = globalThis as { WebSocket?: WebSocketConstructor; fetch?: FetchLike; sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void } };

/** Where the transport chosen for a room URL is remembered for the page session. */
const transportKey = (url: string) => `roomwire:transport:${new URL(url).origin}`;

function remembered(url: string): string | null {
  try {
    return runtime.sessionStorage?.getItem(transportKey(url)) ?? null;
  } catch {
    return null;
  }
}

function remember(url: string, transport: string): void {
  try {
    runtime.sessionStorage?.setItem(transportKey(url), transport);
  } catch {
    // storage may be disabled
  }
}

/**
 * A connection to one room that reconnects, queues sends while offline,
 * matches replies to requests and resumes the room's event stream.
 * Create it with `connect`.
 */
export class RoomClient<Def> {
  /** The current status. */
  status: ClientStatus = "connecting";
  /** The room's members and their state (rooms with `presence`), kept current and re-synced after every reconnect. */
  readonly presence: PresenceStore<ClientPresence<Def>, ClientPresenceInput<Def>> = new PresenceStore((state) => this.setPresence(state));
  /** The member state set while offline: only the latest is sent once open (a cursor's old positions are of no use). */
  private unsentPresence: string | undefined;
  private socket: ClientSocket | undefined;
  private readonly outbox: string[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly statusListeners = new Set<(event: StatusEvent) => void>();
  private readonly errorListeners = new Set<(error: ErrorBody) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private readonly backoff: Backoff | false;
  private readonly heartbeat: { interval: number; timeout: number } | false;
  private attempt = 0;
  private nextId = 1;
  private lastSeq: number | undefined;
  private ended = false;
  private timers: { reconnect?: ReturnType<typeof setTimeout>; reset?: ReturnType<typeof setTimeout>; ping?: ReturnType<typeof setInterval>; pong?: ReturnType<typeof setTimeout>; fallback?: ReturnType<typeof setTimeout> } = {};
  /** The transport of the next attempt, and since when this client has been on the fallback. */
  private transport: "websocket" | "sse";
  private fellBackAt = 0;

  constructor(
    private readonly url: string,
    private readonly options: ClientOptions = {},
  ) {
    this.backoff = options.reconnect === false ? false : { ...DEFAULT_BACKOFF, ...options.reconnect };
    this.heartbeat = options.heartbeat === false ? false : { interval: 25_000, timeout: 10_000, ...options.heartbeat };
    const wanted = options.transport ?? "auto";
    this.transport = wanted === "sse" || (wanted === "auto" && (!(options.WebSocket ?? runtime.WebSocket) || remembered(url) === "sse")) ? "sse" : "websocket";
    if (this.transport === "sse" && wanted === "auto") this.fellBackAt = Date.now();
    // After the caller has had a chance to add listeners.
    queueMicrotask(() => void this.open());
  }

  /** Sends an event. Returns false when offline with a full outbox: that frame is dropped, the queued ones are kept. */
  send<K extends keyof ClientEvents<Def> & string>(type: K, ...[data]: DataArgs<ClientEvents<Def>[K]>): boolean {
    return this.enqueue(JSON.stringify(data === undefined ? { type } : { type, data }));
  }

  /**
   * Sends a request and resolves with the reply's data. Rejects with a
   * `ClientError`: the room's code for a failed reply, `timeout`, `disconnected`
   * (the socket dropped while it was in flight, unless `retry`), `closed`, or `outbox_full`.
   */
  request<K extends keyof ClientRequests<Def> & string>(
    type: K,
    ...[data, options = {}]: DataArgs<ClientRequests<Def>[K]["input"], [options?: RequestOptions]>
  ): Promise<ClientRequests<Def>[K]["reply"]> {
    const id = String(this.nextId++);
    const frame = JSON.stringify({ type, id, data });
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new ClientError("closed", "The client is closed."));
      const timeout = options.timeout ?? this.options.requestTimeout ?? 10_000;
      const timer = setTimeout(() => this.settle(id, new ClientError("timeout", `No reply to "${type}" within ${timeout} ms.`)), timeout);
      const entry: Pending = { frame, retry: options.retry ?? false, sent: false, resolve: resolve as (data: unknown) => void, reject, timer };
      this.pending.set(id, entry);
      if (this.isOpen()) {
        entry.sent = true;
        this.socket!.send(frame);
      } else if (!this.enqueue(frame)) {
        this.settle(id, new ClientError("outbox_full", `The outbox is full (${this.outboxLimit} frames); "${type}" was not queued.`));
      }
    });
  }

  /** Listens to an event the room sends; returns a function that stops listening. */
  on<K extends keyof ClientEmits<Def> & string>(type: K, listener: (data: ClientEmits<Def>[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Listens to status changes (connecting, open, reconnecting, closed). */
  onStatus(listener: (event: StatusEvent) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Listens to `error` frames from the room (bad input, rate limits …). */
  onError(listener: (error: ErrorBody) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** The room could not replay what this client missed: re-fetch whatever state the app shows. */
  onResync(listener: () => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  /** Ends the session: closes the socket, stops reconnecting and rejects what is pending. */
  close(code = 1000, reason = ""): void {
    this.finish({ status: "closed", code, reason: reason || "closed by the client" });
    try {
      this.socket?.close(code, reason);
    } catch {
      // already closed
    }
  }

  private get outboxLimit(): number {
    return this.options.outbox ?? 1000;
  }

  private isOpen(): boolean {
    return this.socket !== undefined && this.socket.readyState === 1 && this.status === "open";
  }

  private enqueue(frame: string): boolean {
    if (this.ended) return false;
    if (this.isOpen()) {
      this.socket!.send(frame);
      return true;
    }
    if (this.outbox.length >= this.outboxLimit) return false;
    this.outbox.push(frame);
    return true;
  }

  private setPresence(state: unknown): boolean {
    if (this.ended) return false;
    const frame = JSON.stringify({ type: PRESENCE_TYPE, data: state });
    if (this.isOpen()) this.socket!.send(frame);
    else this.unsentPresence = frame;
    return true;
  }

  /** Opens a socket; `switching` when the same attempt goes on over the fallback (no second "connecting"). */
  private async open(switching = false): Promise<void> {
    if (this.ended) return;
    if (this.attempt === 0 && !switching) this.emitStatus({ status: "connecting" });
    let url: URL;
    try {
      url = await this.target();
    } catch (error) {
      return this.finish({ status: "closed", error: new ClientError("ended", `Could not build the room URL: ${String(error)}`) });
    }
    if (this.ended) return;
    const socket = this.newSocket(url);
    if (!socket) return;
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let opened = false;
    if (this.transport === "websocket" && (this.options.transport ?? "auto") === "auto") {
      // A network that swallows upgrades leaves the socket connecting: fall back rather than wait.
      this.timers.fallback = setTimeout(() => {
        if (!opened && this.socket === socket) this.fallBack(socket);
      }, this.options.fallbackAfter ?? 4_000);
    }
    socket.onopen = () => {
      opened = true;
      clearTimeout(this.timers.fallback);
      this.onOpen();
    };
    socket.onmessage = (event) => this.onMessage(event.data);
    // A close always follows an error; what went wrong is read there.
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.socket === socket) void this.onDrop(opened, url, event.code, event.reason);
    };
  }

  /** A socket for the transport in use, or none (the client is then closed, saying why). */
  private newSocket(url: URL): ClientSocket | undefined {
    if (this.transport === "sse") {
      const fetcher = this.options.fetch ?? runtime.fetch;
      if (!fetcher) return void this.finish({ status: "closed", error: new ClientError("ended", "No fetch here for the event-stream fallback: pass options.fetch.") });
      // Called as a plain function: a browser's fetch throws when called with another `this`.
      const call = fetcher as unknown as StreamFetch;
      return new EventStreamSocket(url.href, (target, init) => call(target, init));
    }
    const Socket = this.options.WebSocket ?? runtime.WebSocket;
    if (!Socket) return void this.finish({ status: "closed", error: new ClientError("ended", "No WebSocket here: pass options.WebSocket (for example the `ws` package on Node).") });
    return new Socket(url.href);
  }

  /** The WebSocket did not open: use the event stream from now on (and for the rest of the page session). */
  private fallBack(socket: ClientSocket): void {
    this.transport = "sse";
    this.fellBackAt = Date.now();
    remember(this.url, "sse");
    socket.onclose = null;
    socket.onopen = null;
    try {
      socket.close();
    } catch {
      // never opened
    }
    this.socket = undefined;
    void this.open(true);
  }

  /** The URL of the next attempt: the query (evaluated now) and, once events were seen, where to resume. */
  private async target(): Promise<URL> {
    const url = new URL(this.url);
    const query = typeof this.options.query === "function" ? await this.options.query() : this.options.query;
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    if (this.lastSeq !== undefined) url.searchParams.set(SINCE_PARAM, String(this.lastSeq));
    return url;
  }

  private onOpen(): void {
    this.status = "open";
    if (this.backoff) this.timers.reset = setTimeout(() => (this.attempt = 0), this.backoff.resetAfter);
    this.startHeartbeat();
    for (const entry of this.pending.values()) {
      if (entry.retry && entry.sent) this.socket!.send(entry.frame);
    }
    const queued = this.outbox.splice(0);
    for (const frame of queued) {
      this.socket!.send(frame);
      const id = (JSON.parse(frame) as { id?: string }).id;
      const entry = id === undefined ? undefined : this.pending.get(id);
      if (entry) entry.sent = true;
    }
    if (this.unsentPresence !== undefined) this.socket!.send(this.unsentPresence);
    this.unsentPresence = undefined;
    // Announced after the queued frames went out, so what a listener sends comes after them.
    this.emitStatus({ status: "open" });
  }

  private onMessage(raw: unknown): void {
    if (raw === PONG) {
      clearTimeout(this.timers.pong);
      this.timers.pong = undefined;
      return;
    }
    if (typeof raw !== "string") return this.emit("binary", raw);
    let frame: { type?: string; id?: string; data?: unknown; error?: ErrorBody; seq?: number };
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    switch (frame.type) {
      case "reply": {
        const error = frame.error && new ClientError(frame.error.code, frame.error.message, { issues: frame.error.issues });
        return this.settle(String(frame.id), error, frame.data);
      }
      case "error":
        for (const listener of this.errorListeners) listener(frame.error!);
        return;
      case "resume":
        this.lastSeq = frame.seq;
        return;
      case "resync":
        this.lastSeq = frame.seq;
        for (const listener of this.resyncListeners) listener();
        return;
      default:
        if (typeof frame.seq === "number") {
          // Replayed and live events can overlap by one at the seam; each is delivered once.
          if (this.lastSeq !== undefined && frame.seq <= this.lastSeq) return;
          // A numbered event went missing (the server closes slow consumers, but a frame lost anywhere shows here):
          // reconnect and resume from the last one seen instead of carrying on with a hole.
          if (this.lastSeq !== undefined && frame.seq > this.lastSeq + 1) return this.abandon(`missed events ${this.lastSeq + 1}–${frame.seq - 1}`);
          this.lastSeq = frame.seq;
        }
        if (frame.type === PRESENCE_TYPE) this.presence.apply(frame.data as never);
        this.emit(frame.type!, frame.data);
    }
  }

  private async onDrop(opened: boolean, url: URL, code: number, reason: string): Promise<void> {
    this.stopTimers();
    this.socket = undefined;
    for (const [id, entry] of this.pending) {
      if (entry.sent && !entry.retry) this.settle(id, new ClientError("disconnected", "The connection dropped before the reply came."));
    }
    if (this.ended) return;
    if (isFinalClose(code)) {
      return this.finish({ status: "closed", code, reason, error: new ClientError("ended", `The room ended the session (${code}${reason ? `: ${reason}` : ""}).`) });
    }
    if (!opened) {
      const refusal = await this.refusal(url);
      if (this.ended) return;
      if (refusal instanceof ClientError) return this.finish({ status: "closed", code, error: refusal });
      // The route answers and would accept, yet no WebSocket opened: the network blocks upgrades.
      // (A server that is down answers nothing: that is a reconnect, not a reason to fall back.)
      if (refusal === "accepted" && this.transport === "websocket" && (this.options.transport ?? "auto") === "auto") {
        this.transport = "sse";
        this.fellBackAt = Date.now();
        remember(this.url, "sse");
        return void this.open(true);
      }
    } else if (this.transport === "sse" && (this.options.transport ?? "auto") === "auto" && (this.options.WebSocket ?? runtime.WebSocket)) {
      // From time to time, a reconnect tries a WebSocket again.
      if (Date.now() - this.fellBackAt >= (this.options.retryWebSocketAfter ?? 60_000)) this.transport = "websocket";
    }
    if (!this.backoff) return this.finish({ status: "closed", code, reason });
    this.attempt++;
    const delay = backoffDelay(this.attempt, this.backoff);
    this.emitStatus({ status: "reconnecting", code, reason: reason || "connection lost", attempt: this.attempt, delay });
    this.timers.reconnect = setTimeout(() => void this.open(), delay);
  }

  /**
   * Asks the room route whether it refuses this client (a browser cannot see the failed upgrade's status):
   * the refusal, "accepted" when the route would take the client, undefined when the route did not answer.
   */
  private async refusal(url: URL): Promise<ClientError | "accepted" | undefined> {
    const fetcher = this.options.fetch ?? runtime.fetch;
    if (!fetcher) return undefined;
    const check = new URL(url);
    check.protocol = url.protocol === "wss:" ? "https:" : "http:";
    check.searchParams.set(CHECK_PARAM, "1");
    try {
      const response = await fetcher(check.href);
      if (response.status >= 200 && response.status < 300) return "accepted";
      if (!REFUSALS.has(response.status)) return undefined;
      const text = await response.text();
      return new ClientError("refused", `The room refused the connection with HTTP ${response.status}${text ? `: ${text}` : ""}`, { status: response.status });
    } catch {
      return undefined;
    }
  }

  private startHeartbeat(): void {
    const heartbeat = this.heartbeat;
    if (!heartbeat) return;
    this.timers.ping = setInterval(() => {
      if (!this.isOpen()) return;
      this.socket!.send(PING);
      // The deadline runs from the oldest unanswered ping; only a pong clears it.
      this.timers.pong ??= setTimeout(() => this.abandon("heartbeat timeout"), heartbeat.timeout);
    }, heartbeat.interval);
  }

  /** Gives up on a socket that stopped answering, without waiting for its close handshake. */
  private abandon(reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    socket.onclose = null;
    socket.onmessage = null;
    try {
      socket.close();
    } catch {
      // already closed
    }
    void this.onDrop(true, new URL(this.url), 1006, reason);
  }

  private settle(id: string, error: ClientError | undefined, data?: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(data);
  }

  private finish(event: StatusEvent): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    clearTimeout(this.timers.reconnect);
    const error = event.error ?? new ClientError("closed", "The client is closed.");
    for (const id of [...this.pending.keys()]) this.settle(id, error);
    this.emitStatus(event);
  }

  private stopTimers(): void {
    clearTimeout(this.timers.fallback);
    clearTimeout(this.timers.reset);
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
    this.timers.pong = undefined;
  }

  private emit(type: string, data: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener(data);
  }

  private emitStatus(event: StatusEvent): void {
    this.status = event.status;
    for (const listener of this.statusListeners) listener(event);
  }
}

/**
 * Connects to a room, typed from its definition through a type-only import,
 * so no server code reaches the client bundle.
 *
 * @example
 * import type { chat } from "./room.ts";
 * const client = connect<typeof chat>("wss://example.com/rooms/chat/lobby", { query: { user: "ann" } });
 * client.on("said", ({ user, text }) => console.log(user, text));
 * client.send("say", { text: "hi" });
 * const last = await client.request("history", { limit: 10 });
 */
export function connect<Def>(url: string | URL, options?: ClientOptions): RoomClient<Def> {
  return new RoomClient<Def>(String(url), options);
}
