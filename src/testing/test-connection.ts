import type { ClientEmits, ClientEvents, ClientRequests, DataArgs } from "../definition-types.ts";
import type { Attachment } from "../ports.ts";
import type { ErrorBody } from "../protocol.ts";
import type { AnyRoomDefinition, CloseInfo } from "../types.ts";

/** The host's side of one in-memory socket. */
export interface TestSocket {
  attachment: Attachment;
  open: boolean;
  deliver(frame: string | Uint8Array): void;
  /** Bytes sent to the connection that it has not read (while paused). */
  buffered(): number;
  connection: TestConnection<AnyRoomDefinition>;
}

interface Link {
  message(frame: string | Uint8Array): Promise<void>;
  close(code: number, reason: string): Promise<void>;
  idle(): Promise<void>;
}

/** A frame the connection received: JSON frames parsed, `pong` and binary frames as they came. */
export type Received = { type: string; id?: string | number; data?: unknown; error?: ErrorBody } | string | Uint8Array;

/** An event frame from the room: its type and payload (`seq` in resumable rooms). */
export interface EventFrame<K extends string = string, T = unknown> {
  type: K;
  data: T;
  seq?: number;
}

/** An `error` frame from the room (bad input, rate limit …). */
export interface ErrorFrame {
  type: "error";
  error: ErrorBody;
}

/** A failed reply, thrown by `TestConnection.request`. */
export class ReplyError extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.code}: ${body.message}`);
    this.name = "ReplyError";
    this.code = body.code;
  }
  readonly code: string;
}

/**
 * The client end of a connection to a `TestRoom`, typed from the room
 * definition `Def` as `roomwire/client` is: `send` takes the room's events,
 * `request` its requests and resolves to the reply type, `next` and `events`
 * are typed from `emits`. `sendRaw` sends any frame, for tests of bad input.
 *
 * @example
 * const alice = await testRoom(chat).connect("?user=alice");
 * await alice.send("say", { text: "hi" });
 * const history = await alice.request("history", { limit: 10 }); // typed as the reply
 * await alice.sendRaw('{"type":"say","data":{"text":42}}'); // deliberately invalid
 */
export class TestConnection<Def = AnyRoomDefinition> {
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
    socket.deliver = (frame) => {
      if (!this.held) return this.receive(frame);
      this.held.push(frame);
      this.heldBytes += typeof frame === "string" ? frame.length : frame.byteLength;
    };
    socket.buffered = () => this.heldBytes;
  }

  /** Frames the room sent while the connection was paused, in order. */
  private held: (string | Uint8Array)[] | undefined;
  private heldBytes = 0;

  /**
   * Stops reading, as a client that stalls: what the room sends waits, and
   * counts as queued for this connection (its outbound limit applies).
   *
   * @example
   * slow.pause();
   * await fast.send("say", { text: "x".repeat(1000) }); // the room's broadcast queues up for `slow`
   * expect(slow.closedBy?.code).toBe(1013);            // once over `limits.outbound.maxQueuedBytes`
   */
  pause(): void {
    this.held ??= [];
  }

  /** Reads again: frames held while paused are received, in order. */
  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    for (const frame of held) this.receive(frame);
  }

  /** Bytes the room has sent that this connection has not read yet. */
  get queuedBytes(): number {
    return this.heldBytes;
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

  /** Sends one of the room's events (data typed by its schema's input) and waits until the room has handled it. */
  async send<K extends keyof ClientEvents<Def> & string>(type: K, ...[data]: DataArgs<ClientEvents<Def>[K]>): Promise<void> {
    await this.sendRaw(JSON.stringify(data === undefined ? { type } : { type, data }));
  }

  /**
   * Sends a raw frame (any text, or bytes) and waits until the room has
   * handled it. Unchecked on purpose: the way to send unknown types, invalid
   * payloads or broken JSON.
   */
  async sendRaw(frame: string | Uint8Array): Promise<void> {
    if (!this.socket.open) throw new Error("This connection is closed.");
    await this.link.message(frame);
    await this.link.idle();
  }

  /** Sends one of the room's requests and resolves with the reply's data; rejects with `ReplyError` for a failed reply. */
  async request<K extends keyof ClientRequests<Def> & string>(
    type: K,
    ...[data]: DataArgs<ClientRequests<Def>[K]["input"]>
  ): Promise<ClientRequests<Def>[K]["reply"]> {
    return this.requestRaw(type, data) as Promise<ClientRequests<Def>[K]["reply"]>;
  }

  /** Sends a request of any type with any data, unchecked (for tests of bad input); resolves with the reply's data. */
  async requestRaw(type: string, data?: unknown): Promise<unknown> {
    const id = String(this.nextId++);
    const reply = this.next((frame) => isJson(frame) && frame.type === "reply" && frame.id === id);
    await this.sendRaw(JSON.stringify({ type, id, data }));
    const frame = (await reply) as Exclude<Received, string | Uint8Array>;
    if (frame.error) throw new ReplyError(frame.error);
    return frame.data;
  }

  /** Payloads of the events of type `type` received so far. */
  events<K extends keyof ClientEmits<Def> & string>(type: K): ClientEmits<Def>[K][] {
    return this.received.filter((frame) => isJson(frame) && frame.type === type).map((frame) => (frame as EventFrame).data as ClientEmits<Def>[K]);
  }

  /**
   * The next frame of event type `type`, or the next `error` frame, or the
   * next frame that passes a test; one already received and not yet taken counts.
   */
  next<K extends keyof ClientEmits<Def> & string>(type: K): Promise<EventFrame<K, ClientEmits<Def>[K]>>;
  next(type: "error"): Promise<ErrorFrame>;
  next<F extends Received>(match: (frame: Received) => frame is F): Promise<F>;
  next(match: (frame: Received) => boolean): Promise<Received>;
  next(match: string | ((frame: Received) => boolean)): Promise<Received> {
    const test = typeof match === "string" ? (frame: Received) => isJson(frame) && frame.type === match : match;
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

function isJson(frame: Received): frame is Exclude<Received, string | Uint8Array> {
  return typeof frame === "object" && !(frame instanceof Uint8Array);
}
