// A WebSocket client on a plain TCP socket (node:net): it can stop reading, drop the link, or quit mid-handshake.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

const OP_CONTINUATION = 0;
const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CLOSE = 8;
const OP_PING = 9;
const OP_PONG = 10;

/** Bytes of an upgrade request for `path`. */
function upgradeRequest(url: URL, path: string): string {
  const key = randomBytes(16).toString("base64");
  return `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** A masked client frame (RFC 6455 §5.3). */
function clientFrame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.alloc(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

export class RawSocket {
  /** Text frames received, in order. */
  readonly texts: string[] = [];
  /** The close code the server sent (1005 without one), or 1006 when the link ended without a close frame. */
  closeCode: number | undefined;
  /** Resolves when the TCP connection has ended. */
  readonly ended: Promise<void>;
  /** Bytes read from the socket so far. */
  bytesRead = 0;
  /** When the last bytes arrived (performance.now()). */
  lastData = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private upgraded = false;

  private constructor(private readonly socket: Socket) {
    this.ended = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.once("close", () => (this.closeCode ??= 1006));
    socket.on("error", () => {});
  }

  /**
   * Connects and upgrades. With `paused`, it stops reading from the socket as
   * soon as the 101 has arrived: what the server sends after it stays in the
   * kernel's buffers and then the server's, until `resume()`.
   */
  static open(wsUrl: string, path: string, options: { paused?: boolean; timeoutMs?: number } = {}): Promise<RawSocket> {
    const url = new URL(wsUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      const raw = new RawSocket(socket);
      let head = "";
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`${path}: no 101 within ${options.timeoutMs ?? 15_000} ms`))), options.timeoutMs ?? 15_000);
      socket.once("connect", () => socket.write(upgradeRequest(url, path)));
      socket.once("close", () => (clearTimeout(timer), reject(new Error(`${path}: closed before the upgrade: ${head.split("\r\n")[0]}`))));
      const onData = (chunk: Buffer) => {
        raw.note(chunk.length);
        if (raw.upgraded) return raw.parse(chunk);
        head += chunk.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        clearTimeout(timer);
        if (!head.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          return reject(new Error(`${path}: upgrade refused: ${head.split("\r\n")[0]}`));
        }
        raw.upgraded = true;
        if (options.paused) socket.pause();
        raw.parse(Buffer.from(head.slice(end + 4), "latin1"));
        resolve(raw);
      };
      socket.on("data", onData);
    });
  }

  /** Connects, writes the first `bytes` of an upgrade request (all of it when undefined), and drops the link. */
  static async abandonHandshake(wsUrl: string, path: string, bytes?: number): Promise<void> {
    const url = new URL(wsUrl);
    const socket = connect(Number(url.port), url.hostname);
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()).once("close", () => resolve()));
    const request = upgradeRequest(url, path);
    socket.write(bytes === undefined ? request : request.slice(0, bytes));
    socket.destroy();
  }

  /** False once the link is gone (the server reset it, or it was dropped). */
  get writable(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  sendText(text: string): void {
    this.socket.write(clientFrame(OP_TEXT, Buffer.from(text)));
  }

  /** A close frame with `code`, or without a code when undefined. */
  sendClose(code?: number): void {
    const payload = Buffer.alloc(code === undefined ? 0 : 2);
    if (code !== undefined) payload.writeUInt16BE(code);
    this.socket.write(clientFrame(OP_CLOSE, payload));
  }

  resume(): void {
    // Quiet time counts from here.
    this.lastData = performance.now();
    this.socket.resume();
  }

  /** Ends the TCP connection at once, without a close frame (an RST when unread data is waiting). */
  destroy(): void {
    this.socket.destroy();
  }

  private note(bytes: number): void {
    this.bytesRead += bytes;
    this.lastData = performance.now();
  }

  private parse(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let at = 0;
    const buffer = this.buffer;
    while (at + 2 <= buffer.length) {
      const b0 = buffer[at]!;
      let length = buffer[at + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (at + 4 > buffer.length) break;
        length = buffer.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (at + 10 > buffer.length) break;
        length = Number(buffer.readBigUInt64BE(at + 2));
        header = 10;
      }
      if (at + header + length > buffer.length) break;
      const payload = buffer.subarray(at + header, at + header + length);
      at += header + length;
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === OP_TEXT || opcode === OP_BINARY || opcode === OP_CONTINUATION) {
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const message = Buffer.concat(this.fragments);
          this.fragments = [];
          this.texts.push(message.toString("utf8"));
        }
      } else if (opcode === OP_CLOSE) {
        this.closeCode ??= payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      } else if (opcode === OP_PING) {
        this.socket.write(clientFrame(OP_PONG, payload));
      }
    }
    this.buffer = at === buffer.length ? Buffer.alloc(0) : buffer.subarray(at);
  }
}
