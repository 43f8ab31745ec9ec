// The bench's load client: one Bun process holding some of the bench's connections.
//   bun bench/client.ts '<job json>'
// Line-delimited JSON: commands on stdin, events on stdout.
//   job {kind:"fanout", url, room, names, peers} → {event:"ready"}; {cmd:"arm", messages, window, check?, timeoutMs?} → {event:"armed"}; {cmd:"go"} → {event:"done", …}
//   job {kind:"rtt", url, room, names}           → {event:"ready"}; {cmd:"go", rate, durationMs, warmupMs} → {event:"done", latencies, …}
//   job {kind:"idle", url, room, names}          → {event:"ready"}; holds its connections until stdin ends
//
// The client must not be the bottleneck: receiving a fan-out costs the client
// 32 frames for each frame the server handles, and a JavaScript WebSocket
// client (Bun's or Node's `ws`) spends more per received frame than Bun's
// publish does, so on 2 cores it saturated first. So this is a minimal
// RFC 6455 client on Bun's TCP sockets: it masks what it sends, answers
// pings, and reads only each frame's header and the few bytes it needs,
// never decoding a fan-out frame into a string (except the first of each
// socket when `check` is set, which is parsed and checked in full).
import { createInterface } from "node:readline";
import type { Socket } from "bun";

interface Job {
  kind: "fanout" | "rtt" | "idle";
  url: string;
  room: string;
  names: string[];
  peers?: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Timestamps comparable across processes (ms since the epoch, sub-ms resolution). */
const now = () => performance.timeOrigin + performance.now();

function emit(message: object): void {
  process.stdout.write(JSON.stringify(message) + "\n");
}
function fail(error: unknown): never {
  emit({ event: "error", message: String((error as Error)?.message ?? error) });
  process.exit(1);
}

const OP_TEXT = 1;
const OP_CLOSE = 8;
const OP_PING = 9;
const OP_PONG = 10;

/** One client WebSocket on a raw TCP socket. `onText` gets each text frame's payload as a view (valid only during the call). */
class Conn {
  socket!: Socket<Conn>;
  onText: (payload: Uint8Array) => void = () => {};
  onClose: (why: string) => void = (why) => fail(new Error(`${this.name}: ${why}`));
  private leftover: Uint8Array | undefined;
  private unsent: Uint8Array[] = [];
  private handshake: ((error?: Error) => void) | undefined;
  /** The bytes of the 101 response read so far. */
  private head: Uint8Array = new Uint8Array(0);

  constructor(readonly name: string) {}

  static open(url: URL, path: string, name: string): Promise<Conn> {
    const conn = new Conn(name);
    return new Promise<Conn>((resolve, reject) => {
      conn.handshake = (error) => (error ? reject(error) : resolve(conn));
      Bun.connect<Conn>({
        hostname: url.hostname,
        port: Number(url.port),
        data: conn,
        socket: {
          open(socket) {
            conn.socket = socket;
            socket.setNoDelay?.(true);
            const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
            // No Sec-WebSocket-Extensions: no compression.
            socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
          },
          data: (_socket, chunk) => conn.data(chunk),
          drain: () => conn.flush(),
          close: () => conn.closed("the server closed the TCP connection"),
          error: (_socket, error) => conn.closed(error.message),
          connectError: (_socket, error) => conn.closed(`connect failed: ${error.message}`),
        },
      }).catch((error) => conn.closed(`connect failed: ${error.message}`));
    });
  }

  sendText(text: string): void {
    const payload = encoder.encode(text);
    const length = payload.length;
    const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
    const frame = new Uint8Array(header + 4 + length);
    frame[0] = 0x80 | OP_TEXT;
    if (length < 126) frame[1] = 0x80 | length;
    else if (length < 65536) {
      frame[1] = 0x80 | 126;
      frame[2] = length >> 8;
      frame[3] = length & 0xff;
    } else {
      frame[1] = 0x80 | 127;
      new DataView(frame.buffer).setBigUint64(2, BigInt(length));
    }
    this.mask(frame, header, payload, OP_TEXT);
  }

  close(): void {
    this.onClose = () => {};
    this.control(OP_CLOSE, new Uint8Array([0x03, 0xe8]));
    this.socket.end();
  }

  private control(opcode: number, payload: Uint8Array): void {
    const frame = new Uint8Array(2 + 4 + payload.length);
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | payload.length;
    this.mask(frame, 2, payload, opcode);
  }

  /** Writes `payload` masked with a fresh random key (RFC 6455 §5.3) after the header already in `frame`. */
  private mask(frame: Uint8Array, header: number, payload: Uint8Array, _opcode: number): void {
    const key = (Math.random() * 0x100000000) >>> 0;
    const k0 = key >>> 24, k1 = (key >>> 16) & 0xff, k2 = (key >>> 8) & 0xff, k3 = key & 0xff;
    frame[header] = k0;
    frame[header + 1] = k1;
    frame[header + 2] = k2;
    frame[header + 3] = k3;
    const start = header + 4;
    for (let i = 0; i < payload.length; i++) frame[start + i] = payload[i]! ^ (i % 4 === 0 ? k0 : i % 4 === 1 ? k1 : i % 4 === 2 ? k2 : k3);
    this.write(frame);
  }

  private write(bytes: Uint8Array): void {
    if (this.unsent.length > 0) {
      this.unsent.push(bytes);
      return;
    }
    const written = this.socket.write(bytes);
    if (written < bytes.length) this.unsent.push(bytes.subarray(Math.max(0, written)));
  }

  flush(): void {
    while (this.unsent.length > 0) {
      const bytes = this.unsent[0]!;
      const written = this.socket.write(bytes);
      if (written < bytes.length) {
        this.unsent[0] = bytes.subarray(Math.max(0, written));
        return;
      }
      this.unsent.shift();
    }
  }

  closed(why: string): void {
    if (this.handshake) {
      const done = this.handshake;
      this.handshake = undefined;
      done(new Error(`${this.name}: ${why}`));
    } else this.onClose(why);
  }

  data(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.handshake) {
      // The 101 response: headers up to the blank line, then frames may follow in the same chunk
      // (a server may send one at once, before the client's first): split as bytes, never decoded.
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      this.head = joined;
      const end = headEnd(joined);
      if (end < 0) return;
      const head = decoder.decode(joined.subarray(0, end));
      const rest = joined.slice(end + 4);
      this.head = new Uint8Array(0);
      if (!head.startsWith("HTTP/1.1 101")) return this.closed(`upgrade refused: ${head.split("\r\n")[0]}`);
      if (/\r\nsec-websocket-extensions:/i.test(head)) return this.closed(`the server negotiated an extension; the bench runs without compression`);
      const done = this.handshake;
      this.handshake = undefined;
      done();
      if (rest.length === 0) return;
      bytes = rest;
    }
    if (this.leftover) {
      const joined = new Uint8Array(this.leftover.length + bytes.length);
      joined.set(this.leftover);
      joined.set(bytes, this.leftover.length);
      bytes = joined;
      this.leftover = undefined;
    }
    let at = 0;
    const end = bytes.length;
    while (at + 2 <= end) {
      const b0 = bytes[at]!;
      let length = bytes[at + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (at + 4 > end) break;
        length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
        header = 4;
      } else if (length === 127) {
        if (at + 10 > end) break;
        length = Number(new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8).getBigUint64(0));
        header = 10;
      }
      if (at + header + length > end) break;
      const payload = bytes.subarray(at + header, at + header + length);
      at += header + length;
      const opcode = b0 & 0x0f;
      if (opcode === OP_TEXT) {
        if ((b0 & 0x80) === 0) return this.closed("fragmented text frame (the bench's frames are small; no server fragments them)");
        this.onText(payload);
      } else if (opcode === OP_PING) this.control(OP_PONG, payload);
      else if (opcode === OP_CLOSE) {
        const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
        return this.closed(`closed by the server with ${code} ${decoder.decode(payload.subarray(2))}`);
      } else if (opcode !== OP_PONG) return this.closed(`unexpected opcode ${opcode}`);
    }
    if (at < end) this.leftover = bytes.slice(at);
  }
}

/** Where the blank line that ends an HTTP head starts (`\r\n\r\n`), or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  return -1;
}

const PONG = encoder.encode("pong");
function isPong(payload: Uint8Array): boolean {
  return payload.length === 4 && payload[0] === PONG[0] && payload[1] === PONG[1] && payload[2] === PONG[2] && payload[3] === PONG[3];
}

/** Opens one connection and checks that the server has registered it: `ping` → `pong` (handled after the open on every server). */
async function open(name: string): Promise<Conn> {
  const url = new URL(job.url);
  const conn = await Conn.open(url, `/rooms/bench/${job.room}?u=${name}`, name);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no pong within 30 s`)), 30_000);
    conn.onText = (payload) => {
      if (!isPong(payload)) return;
      clearTimeout(timer);
      conn.onText = () => {};
      resolve();
    };
    conn.sendText("ping");
  });
  return conn;
}

/** Opens every connection of the job, at most `concurrency` handshakes at a time. */
async function openAll(names: string[], concurrency = 50): Promise<Conn[]> {
  const conns: Conn[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const index = next++;
      conns[index] = await open(names[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
  return conns;
}

const SAID = encoder.encode('{"type":"said","data":{"from":"');

function startsWith(payload: Uint8Array, prefix: Uint8Array): boolean {
  if (payload.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (payload[i] !== prefix[i]) return false;
  return true;
}

interface FanoutResult {
  start: number;
  end: number;
  received: number;
  cpuMs: number;
  error?: string;
}

/**
 * Fan-out: every connection sends `messages` say events, keeping at most
 * `window` of its own in flight (its own `said` coming back frees a slot);
 * done when every connection has received `peers × messages` said frames.
 * Armed first (counters and handlers in place, in every client process) and
 * started by `go`, so no process misses frames of one that started earlier.
 */
function armFanout(conns: Conn[], command: { messages: number; window: number; check?: boolean; seq?: boolean; timeoutMs?: number }): () => Promise<FanoutResult> {
  const { messages, window, check = false, seq = false, timeoutMs = 60_000 } = command;
  // The checked frame's shape; a resumable room numbers each said with `seq`.
  const shape = seq ? "type,data,seq|from,text|string|string|number" : "type,data|from,text|string|string|undefined";
  const expected = job.peers! * messages;
  let pending = conns.length;
  let received = 0;
  let cpu: NodeJS.CpuUsage;
  let start = 0;
  let finished: (result: FanoutResult) => void;
  const done = new Promise<FanoutResult>((resolve) => (finished = resolve));
  const counts = conns.map(() => 0);
  const senders = conns.map((conn, index) => {
    const name = conn.name;
    const mine = encoder.encode(`{"type":"said","data":{"from":"${name}","text":`);
    let sent = 0;
    let got = 0;
    const send = () => conn.sendText(`{"type":"say","data":{"text":"hello from ${name} #${sent++}"}}`);
    conn.onText = (payload) => {
      if (!startsWith(payload, SAID)) fail(new Error(`${name}: unexpected frame ${decoder.decode(payload).slice(0, 200)}`));
      if (check && got === 0) {
        const text = decoder.decode(payload);
        const parsed = JSON.parse(text);
        const found = `${Object.keys(parsed).join()}|${Object.keys(parsed.data).join()}|${typeof parsed.data.from}|${typeof parsed.data.text}|${typeof parsed.seq}`;
        if (found !== shape || !/^hello from c\d+ #\d+$/.test(parsed.data.text)) fail(new Error(`${name}: wrong said frame ${text}`));
      }
      counts[index] = ++got;
      received++;
      if (sent < messages && startsWith(payload, mine)) send();
      if (got === expected) {
        if (--pending === 0) {
          clearTimeout(stalled);
          finished({ start, end: now(), received, cpuMs: cpuMs(cpu) });
        }
      } else if (got > expected) fail(new Error(`${name}: more said frames than were sent (${got} > ${expected})`));
    };
    return () => {
      for (let i = 0; i < Math.min(window, messages); i++) send();
    };
  });
  let stalled: ReturnType<typeof setTimeout>;
  return () => {
    cpu = process.cpuUsage();
    start = now();
    stalled = setTimeout(
      () => finished({ start, end: now(), received, cpuMs: cpuMs(cpu), error: `stalled: ${received} of ${expected * conns.length} said frames after ${timeoutMs} ms (per connection: ${counts.join(" ")})` }),
      timeoutMs,
    );
    for (const start of senders) start();
    return done;
  };
}

/**
 * Request/reply at a fixed offered rate: request i is due at start + i/rate,
 * round-robin over the connections, and its latency runs from that intended
 * time, so a stall (of the server, or of this client's timers) shows in the
 * figures instead of delaying the next sends (no coordinated omission).
 */
function rtt(conns: Conn[], command: { rate: number; durationMs: number; warmupMs: number }): Promise<object> {
  const { rate, durationMs, warmupMs } = command;
  return new Promise((resolve) => {
    const total = Math.round(((durationMs + warmupMs) / 1000) * rate);
    const skip = Math.round((warmupMs / 1000) * rate);
    const interval = 1000 / rate;
    const latencies = new Float64Array(total).fill(-1);
    let answered = 0;
    let next = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const finish = () => {
      clearTimeout(giveUp);
      // Unanswered requests are reported as null: lost.
      const measured = Array.from(latencies.subarray(skip), (ms) => (ms < 0 ? null : Math.round(ms * 1000) / 1000));
      resolve({ latencies: measured, cpuMs: cpuMs(cpu), wallMs: performance.now() - start });
    };
    for (const conn of conns) {
      conn.onText = (payload) => {
        const text = decoder.decode(payload);
        const reply = JSON.parse(text) as { type: string; id: number; data: unknown };
        if (reply.type !== "reply" || reply.data !== null || Object.keys(reply).join() !== "type,id,data") fail(new Error(`unexpected reply ${text}`));
        latencies[reply.id] = performance.now() - (start + reply.id * interval);
        if (++answered === total) finish();
      };
    }
    const giveUp = setTimeout(finish, durationMs + warmupMs + 5_000);
    const tick = () => {
      const t = performance.now();
      while (next < total && start + next * interval <= t) {
        conns[next % conns.length]!.sendText(`{"type":"echo","id":${next}}`);
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

const conns = await openAll(job.names).catch(fail);
emit({ event: "ready", runtime: `bun ${Bun.version}` });

const lines = createInterface({ input: process.stdin });
lines.on("close", () => {
  for (const conn of conns) conn.close();
  setTimeout(() => process.exit(0), 100);
});
let armed: (() => Promise<FanoutResult>) | undefined;
lines.on("line", async (line) => {
  const command = JSON.parse(line);
  if (command.cmd === "arm" && job.kind === "fanout") {
    armed = armFanout(conns, command);
    emit({ event: "armed" });
  } else if (command.cmd === "go" && job.kind === "fanout") emit({ event: "done", ...(await armed!()) });
  else if (command.cmd === "go" && job.kind === "rtt") emit({ event: "done", ...(await rtt(conns, command)) });
  else if (command.cmd === "exit") process.exit(0);
});
