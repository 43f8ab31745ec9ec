import type { Attachment } from "../ports.ts";
import type { ErrorBody } from "../protocol.ts";
import type { CloseInfo } from "../types.ts";

/** The host's side of one in-memory socket. */
export interface TestSocket {
  attachment: Attachment;
  open: boolean;
  deliver(frame: string | Uint8Array): void;
  connection: TestConnection;
}

interface Link {
  message(frame: string | Uint8Array): Promise<void>;
  close(code: number, reason: string): Promise<void>;
  idle(): Promise<void>;
}

/** A frame the connection received: JSON frames parsed, `pong` and binary frames as they came. */
export type Received = { type: string; id?: string | number; data?: any; error?: ErrorBody } | string | Uint8Array;

/** A failed reply, thrown by `TestConnection.request`. */
export class ReplyError extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.code}: ${body.message}`);
    this.name = "ReplyError";
    this.code = body.code;
  }
  readonly code: string;
}

/** The client end of a connection to a `TestRoom`. */
export class TestConnection {
  /** Every frame received so far, in order. */
  readonly received: Received[] = [];
  /** Received frames not yet taken by `next()`. */
  private readonly unread: Received[] = [];
  /** Set when the room closed this connection. */
  closedBy: CloseInfo | undefined;
  private waiters: { match: (frame: Received) => boolean; resolve: (frame: Received) => void }[] = [];
  private nextId = 1;

  constructor(
    private readonly socket: TestSocket,
    private readonly link: Link,
  ) {
    socket.deliver = (frame) => this.receive(frame);
  }

  get id(): string {
    return this.socket.attachment.id;
  }
  /** The connection's data as the room last stored it. */
  get data(): unknown {
    return this.socket.attachment.data;
  }
  get open(): boolean {
    return this.socket.open;
  }

  /** Sends an event and waits until the room has handled it. */
  async send(type: string, data?: unknown): Promise<void> {
    await this.sendRaw(JSON.stringify(data === undefined ? { type } : { type, data }));
  }

  /** Sends a raw frame (any text, or bytes) and waits until the room has handled it. */
  async sendRaw(frame: string | Uint8Array): Promise<void> {
    if (!this.socket.open) throw new Error("This connection is closed.");
    await this.link.message(frame);
    await this.link.idle();
  }

  /** Sends a request and resolves with the reply's data; rejects with `ReplyError` for a failed reply. */
  async request(type: string, data?: unknown): Promise<any> {
    const id = String(this.nextId++);
    const reply = this.next((frame) => typeof frame === "object" && !(frame instanceof Uint8Array) && frame.type === "reply" && frame.id === id);
    await this.sendRaw(JSON.stringify({ type, id, data }));
    const frame = (await reply) as Exclude<Received, string | Uint8Array>;
    if (frame.error) throw new ReplyError(frame.error);
    return frame.data;
  }

  /** Frames of one event type received so far. */
  events(type: string): any[] {
    return this.received.filter((frame) => typeof frame === "object" && !(frame instanceof Uint8Array) && frame.type === type).map((frame) => (frame as { data?: unknown }).data);
  }

  /** The next frame of event type `type` (or matching a test), including one already received and not yet taken. */
  next(match: string | ((frame: Received) => boolean)): Promise<any> {
    const test = typeof match === "string" ? (frame: Received) => typeof frame === "object" && !(frame instanceof Uint8Array) && frame.type === match : match;
    const seen = this.unread.find(test);
    if (seen !== undefined) {
      this.unread.splice(this.unread.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => this.waiters.push({ match: test, resolve }));
  }

  /** Closes from the client side; `code` undefined behaves as a close frame without a code (1005). */
  async close(code?: number, reason = ""): Promise<void> {
    await this.link.close(code ?? 1005, reason);
  }

  /** The link drops without a close frame (1006). */
  async drop(): Promise<void> {
    await this.link.close(1006, "");
  }

  private receive(frame: string | Uint8Array): void {
    const parsed: Received = typeof frame === "string" && frame.startsWith("{") ? JSON.parse(frame) : frame;
    this.received.push(parsed);
    const waiter = this.waiters.find((item) => item.match(parsed));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(parsed);
      return;
    }
    this.unread.push(parsed);
  }
}
