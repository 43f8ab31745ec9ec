import { isJson, matcher, noMatch, type Frame, type Received, type TestPeer } from "./peer.ts";

/**
 * A client on the fallback transport, written against the wire alone: one
 * GET with `Accept: text/event-stream` carries the room's frames as SSE
 * messages; each frame it sends is a POST to its session, one at a time.
 */
export class SsePeer implements TestPeer {
  readonly frames: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The session id the stream named first. */
  session = "";
  /** The SSE `id` of the last numbered frame: what `Last-Event-ID` resumes from. */
  lastEventId: string | undefined;
  /** HTTP statuses of the POSTs, in order. */
  readonly posts: number[] = [];
  private readonly abort = new AbortController();
  private waiters: { test: (frame: Received) => boolean; resolve: (frame: Received) => void }[] = [];
  private posting: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private ended = false;
  private endWith!: (info: { code: number; reason: string }) => void;

  private constructor(private readonly url: string) {
    this.closed = new Promise((resolve) => (this.endWith = resolve));
  }

  /** Opens a session on `url` (http://…/rooms/type/name?…); resolves once the stream named it, rejects with the status of a refusal. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<SsePeer> {
    const peer = new SsePeer(url);
    const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: peer.abort.signal });
    if (response.status !== 200 || !response.body) throw Object.assign(new Error(`the event stream was refused with HTTP ${response.status}: ${await response.text()}`), { status: response.status });
    const named = new Promise<void>((resolve) => peer.waiters.push({ test: (frame) => frame === "\u0000session", resolve: () => resolve() }));
    void peer.read(response.body);
    await named;
    return peer;
  }

  get open(): boolean {
    return !this.ended;
  }

  send(type: string, data?: unknown): void {
    this.raw(JSON.stringify(data === undefined ? { type } : { type, data }));
  }

  raw(frame: string | Uint8Array): void {
    void this.post(typeof frame === "string" ? frame : new TextDecoder().decode(frame));
  }

  /** POSTs `body` after the POSTs before it; resolves with the status. */
  post(body: string, session = this.session): Promise<number> {
    const url = new URL(this.url);
    url.search = "";
    url.searchParams.set("roomwire_session", session);
    const sent = this.posting.then(async () => {
      const response = await fetch(url, { method: "POST", body });
      await response.arrayBuffer();
      this.posts.push(response.status);
      return response.status;
    });
    this.posting = sent.catch(() => undefined);
    return sent;
  }

  request(type: string, data?: unknown): Promise<Frame> {
    const id = `r${this.nextId++}`;
    const reply = this.next((frame) => isJson(frame) && frame.type === "reply" && frame.id === id);
    this.raw(JSON.stringify({ type, id, data }));
    return reply;
  }

  next(match: string | ((frame: Received) => boolean), timeoutMs = 5_000): Promise<any> {
    const test = matcher(match);
    const found = this.frames.findIndex(test);
    if (found >= 0) return Promise.resolve(this.frames.splice(found, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve: (frame: Received) => (clearTimeout(timer), this.frames.splice(this.frames.lastIndexOf(frame), 1), resolve(frame)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(noMatch(match, timeoutMs, this.frames));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  nextBinary(): Promise<Uint8Array> {
    return Promise.reject(new Error("an event stream carries no binary frames"));
  }

  events(type: string): any[] {
    return this.frames.filter((frame) => isJson(frame) && frame.type === type).map((frame) => (frame as Frame).data);
  }

  /** Ends the stream from the client's side: the room sees the connection go. */
  close(): void {
    this.finish({ code: 1005, reason: "closed by the client" });
  }

  drop(): void {
    this.close();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          this.event(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted
    }
    this.finish({ code: 1006, reason: "the event stream ended" });
  }

  private event(block: string): void {
    let name = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
      else if (line.startsWith("id: ")) id = line.slice(4);
    }
    if (id !== undefined) this.lastEventId = id;
    if (data.length === 0) return;
    const text = data.join("\n");
    if (name === "roomwire-session") {
      this.session = text;
      return this.deliver("\u0000session");
    }
    if (name === "roomwire-close") return this.finish(JSON.parse(text));
    let frame: Received;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      frame = text;
    }
    this.deliver(frame);
  }

  private deliver(frame: Received): void {
    const waiter = this.waiters.find((each) => each.test(frame));
    if (frame !== "\u0000session") this.frames.push(frame);
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(frame);
    }
  }

  private finish(info: { code: number; reason: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.endWith(info);
  }
}
