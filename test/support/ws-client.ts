import WebSocket from "ws";
import { matcher, noMatch, type Frame, type TestPeer } from "./peer.ts";

export type { Frame };

/**
 * A test peer over a real WebSocket (`ws`): every frame is recorded, `next()`
 * waits for one, and the link can be closed with or without a code, or
 * dropped. Binary frames arrive as Buffers.
 */
export class Peer implements TestPeer {
  readonly frames: (Frame | string | Buffer)[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private waiters: { test: (frame: Frame | string | Buffer) => boolean; resolve: (frame: any) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }[] = [];
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer, binary: boolean) => {
      const text = binary ? undefined : data.toString();
      const frame = text === undefined ? data : text.startsWith("{") ? (JSON.parse(text) as Frame) : text;
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.test(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          clearTimeout(waiter.timer);
          waiter.resolve(frame);
          break;
        }
      }
    });
    this.closed = new Promise((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Connects; rejects with the HTTP status when the upgrade is refused. */
  static connect(url: string, headers?: Record<string, string>): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      const peer = new Peer(socket);
      socket.once("open", () => resolve(peer));
      socket.once("unexpected-response", (_request, response) => {
        reject(Object.assign(new Error(`upgrade refused with ${response.statusCode}`), { status: response.statusCode }));
        response.resume();
        socket.terminate();
      });
      socket.once("error", (error) => reject(error));
    });
  }

  /** The HTTP status an upgrade attempt got (101 when it was accepted). */
  static async upgradeStatus(url: string, headers?: Record<string, string>): Promise<number> {
    try {
      const peer = await Peer.connect(url, headers);
      peer.socket.terminate();
      return 101;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined) throw error;
      return status;
    }
  }

  send(type: string, data?: unknown): void {
    this.socket.send(JSON.stringify(data === undefined ? { type } : { type, data }));
  }

  raw(frame: string | Uint8Array): void {
    this.socket.send(frame);
  }

  /** Sends a request and resolves with the whole reply frame. */
  request(type: string, data?: unknown): Promise<Frame> {
    const id = `r${this.nextId++}`;
    const reply = this.next((frame) => typeof frame === "object" && !Buffer.isBuffer(frame) && frame.type === "reply" && frame.id === id);
    this.socket.send(JSON.stringify({ type, id, data }));
    return reply;
  }

  /** The next frame, after those already taken by `next`, that is of `type` or passes the test. */
  next(match: string | ((frame: Frame | string | Buffer) => boolean), timeoutMs = 5_000): Promise<any> {
    const test = matcher(match);
    for (let i = 0; i < this.frames.length; i++) {
      if (test(this.frames[i]!)) {
        const [frame] = this.frames.splice(i, 1);
        return Promise.resolve(frame);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.findIndex((waiter) => waiter.timer === timer), 1);
        reject(noMatch(match, timeoutMs, this.frames));
      }, timeoutMs);
      this.waiters.push({ test, resolve: (frame) => (this.frames.splice(this.frames.lastIndexOf(frame), 1), resolve(frame)), reject, timer });
    });
  }

  /** The next binary frame, as a Uint8Array of its own. */
  async nextBinary(timeoutMs?: number): Promise<Uint8Array> {
    return new Uint8Array(await this.next((frame) => Buffer.isBuffer(frame), timeoutMs));
  }

  /** Event payloads of `type` received so far (not taken by `next`). */
  events(type: string): any[] {
    return this.frames.filter((frame) => typeof frame === "object" && !Buffer.isBuffer(frame) && frame.type === type).map((frame) => (frame as Frame).data);
  }

  /** Closes with a code, or with a close frame that has no code when `code` is undefined. */
  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  /** Drops the TCP connection without a close frame. */
  drop(): void {
    this.socket.terminate();
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }
}
