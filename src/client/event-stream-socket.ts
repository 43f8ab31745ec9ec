import type { ClientSocket, SocketCloseEvent, SocketMessageEvent } from "./socket.ts";

/** The session's SSE events (src/fallback/stream-session.ts names them on the server). */
const SESSION_EVENT = "roomwire-session";
const CLOSE_EVENT = "roomwire-close";
const SESSION_PARAM = "roomwire_session";

/** The `fetch` an event-stream socket needs: streaming responses and POSTs. */
export type StreamFetch = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string; signal?: unknown }) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  readonly body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
}>;

type Handler<E> = ((event: E) => unknown) | null;

/**
 * A WebSocket's face on an event stream plus POSTs, for networks that block
 * WebSocket upgrades: the room's frames arrive as SSE messages on one
 * long GET, and what the client sends goes out as POSTs to its session,
 * one at a time and in order (frames queued meanwhile travel together).
 */
export class EventStreamSocket implements ClientSocket {
  binaryType = "arraybuffer";
  readyState = 0;
  onopen: Handler<unknown> = null;
  onmessage: Handler<SocketMessageEvent> = null;
  onclose: Handler<SocketCloseEvent> = null;
  onerror: Handler<unknown> = null;
  private readonly abort = new AbortController();
  private session: string | undefined;
  private readonly queue: string[] = [];
  private posting = false;
  private readonly httpUrl: URL;

  constructor(
    url: string,
    private readonly fetcher: StreamFetch,
  ) {
    this.httpUrl = new URL(url);
    if (this.httpUrl.protocol === "ws:") this.httpUrl.protocol = "http:";
    if (this.httpUrl.protocol === "wss:") this.httpUrl.protocol = "https:";
    void this.read();
  }

  send(data: string): void {
    if (this.readyState !== 1) return;
    this.queue.push(data);
    void this.post();
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return;
    this.ended(code, reason);
  }

  private async read(): Promise<void> {
    let response: Awaited<ReturnType<StreamFetch>>;
    try {
      response = await this.fetcher(this.httpUrl.href, { headers: { accept: "text/event-stream" }, signal: this.abort.signal });
    } catch {
      return this.ended(1006, "the event stream could not open");
    }
    if (!response.ok || !response.body) return this.ended(1006, `the event stream was refused with HTTP ${response.status}`);
    const reader = response.body.getReader();
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
          if (this.readyState >= 2) return void reader.cancel().catch(() => {});
        }
      }
    } catch {
      // aborted, or the link dropped
    }
    this.ended(1006, "the event stream ended");
  }

  /** One SSE event: its `event` name and `data` lines (comments and `id`/`retry` fields need nothing here). */
  private event(block: string): void {
    let name = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    }
    if (data.length === 0) return;
    const text = data.join("\n");
    if (name === SESSION_EVENT) {
      this.session = text;
      this.readyState = 1;
      this.onopen?.({});
    } else if (name === CLOSE_EVENT) {
      const { code, reason } = JSON.parse(text) as SocketCloseEvent;
      this.ended(code, reason);
    } else if (this.readyState === 1) {
      this.onmessage?.({ data: text });
    }
  }

  /** Sends what is queued, one POST at a time, so the room sees the frames in the order they were sent. */
  private async post(): Promise<void> {
    if (this.posting || this.queue.length === 0 || this.readyState !== 1) return;
    this.posting = true;
    const body = this.queue.splice(0).join("\n");
    const url = new URL(this.httpUrl);
    url.search = "";
    url.searchParams.set(SESSION_PARAM, this.session!);
    try {
      const response = await this.fetcher(url.href, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8" }, body, signal: this.abort.signal });
      // The session is gone (404), or the frames were refused (413): as a WebSocket would, the connection ends.
      if (response.status === 413) return this.ended(1009, "message too big");
      if (!response.ok) return this.ended(1006, `the room answered a POST with HTTP ${response.status}`);
    } catch {
      return this.ended(1006, "a POST of frames failed");
    } finally {
      this.posting = false;
    }
    void this.post();
  }

  private ended(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.abort.abort();
    this.onclose?.({ code, reason });
  }
}
