/**
 * The WebSocket the client needs, described by the members it uses, so that
 * the browser's, Deno's, Bun's, Node 22's global and the `ws` package's all
 * fit without a cast, and the client's types do not need the DOM lib.
 */

/** What the client reads from a `message` event: text, or bytes as an `ArrayBuffer`. */
export interface SocketMessageEvent {
  readonly data: unknown;
}

/** What the client reads from a `close` event. */
export interface SocketCloseEvent {
  readonly code: number;
  readonly reason: string;
}

/**
 * An event handler property. Declared through a method, whose parameter is
 * checked bivariantly, so a socket whose handlers take a richer event (the
 * DOM's `MessageEvent`, `ws`'s own event classes) still fits.
 */
type Handler<E> = { handle(event: E): unknown }["handle"] | null;

/** The members of a WebSocket the client uses. */
export interface ClientSocket {
  /** Set to "arraybuffer"; `string` because each implementation names a different set of values. */
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown>;
  onmessage: Handler<SocketMessageEvent>;
  onclose: Handler<SocketCloseEvent>;
  onerror: Handler<unknown>;
}

/**
 * A WebSocket class: `globalThis.WebSocket` in browsers, Deno, Bun and Node 22+,
 * or the `ws` package's default export on Node 20.
 */
export type WebSocketConstructor = new (url: string) => ClientSocket;

/** The `fetch` the client uses to ask why a socket could not open; the global `fetch` fits. */
export type FetchLike = (url: string) => Promise<{ readonly status: number; text(): Promise<string> }>;
