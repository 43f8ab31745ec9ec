/**
 * The Workers runtime as roomwire's public Cloudflare types describe it:
 * subsets of `@cloudflare/workers-types`, declared here so that the adapter's
 * public API needs no ambient Workers types (JSR checks it without them, and a
 * Worker project keeps its own). The runtime's real objects satisfy them.
 */

/** A value in a SQLite row of Durable Object storage. */
export type SqlValue = ArrayBuffer | string | number | null;

/** A server-side WebSocket of the hibernation API. */
export interface HibernatingSocket {
  send(message: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** `ctx.storage` of a SQLite-backed Durable Object. */
export interface ObjectStorage {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T>(options?: { prefix?: string; start?: string; end?: string; limit?: number; reverse?: boolean }): Promise<Map<string, T>>;
  setAlarm(at: number): Promise<void>;
  getAlarm(): Promise<number | null>;
  deleteAlarm(): Promise<void>;
  readonly sql: { exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): { toArray(): T[] } };
  /** The synchronous key-value API of SQLite-backed objects (the same entries as `get`/`put`). */
  readonly kv: { put(key: string, value: unknown): void; delete(key: string): boolean };
  transactionSync<T>(closure: () => T): T;
}

/** `ctx` of a Durable Object. */
export interface ObjectState {
  readonly storage: ObjectStorage;
  acceptWebSocket(ws: HibernatingSocket, tags?: string[]): void;
  getWebSockets(tag?: string): HibernatingSocket[];
  setWebSocketAutoResponse(pair?: unknown): void;
  getWebSocketAutoResponseTimestamp(ws: HibernatingSocket): Date | null;
}

/** The execution context a Worker's `fetch` receives. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}
