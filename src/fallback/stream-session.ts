import type { Attachment } from "../ports.ts";
import type { SendStatus } from "../types.ts";

/** The SSE event that names the session (its id, for POSTs) before any frame. */
export const SESSION_EVENT = "roomwire-session";
/** The SSE event that ends the session, as a WebSocket close would: `{"code","reason"}`. */
export const CLOSE_EVENT = "roomwire-close";
/** Query parameter of a POST carrying a fallback session's frames. */
export const SESSION_PARAM = "roomwire_session";

/** How often an idle stream carries a comment, so proxies and Bun's 10 s HTTP idle timeout do not cut it. */
export const KEEPALIVE_MS = 5_000;

const encoder = new TextEncoder();
/** A numbered frame ends with its `seq` (protocol.ts `numberedFrame`): it becomes the SSE `id`, so `Last-Event-ID` resumes. */
const SEQ_AT_END = /,"seq":(\d+)\}$/;

/**
 * One client's fallback connection: an event stream carrying the room's
 * frames (the same JSON as WebSocket messages), and the frames its POSTs
 * bring. To the room it is a socket like any other.
 */
export class StreamSession {
  /** Unguessable: whoever knows it may send frames as this connection. */
  readonly id: string;
  readonly response: Response;
  attachment: Attachment;
  /** When the client was last heard from (a POST, or the stream's start). */
  heardAt: number = Date.now();
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private ended = false;
  private readonly keepalive: ReturnType<typeof setInterval>;

  constructor(
    attachment: Attachment,
    /** The stream ended from the client's side (it went away) or the server's. */
    private readonly onEnd: (session: StreamSession) => void,
    /** Put before the random part of the id (a cluster's process id, so any process can route a POST to it). */
    idPrefix: string = "",
  ) {
    this.id = `${idPrefix}${crypto.randomUUID()}`;
    this.attachment = attachment;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        cancel: () => this.finish(),
      },
      // Counted in bytes, so `buffered()` says how much the client has not read.
      { highWaterMark: 64 * 1024, size: (chunk) => chunk?.byteLength ?? 0 },
    );
    this.write(`retry: 2000\nevent: ${SESSION_EVENT}\ndata: ${this.id}\n\n`);
    this.keepalive = setInterval(() => this.write(": keepalive\n\n"), KEEPALIVE_MS);
    this.response = new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        // Proxies that buffer responses (nginx) would hold frames back.
        "x-accel-buffering": "no",
      },
    });
  }

  get open(): boolean {
    return !this.ended;
  }

  /** Sends one frame as an SSE message; binary frames cannot travel on an event stream. */
  send(frame: string | Uint8Array): SendStatus {
    if (this.ended || typeof frame !== "string") return "dropped";
    const seq = SEQ_AT_END.exec(frame);
    this.write(seq ? `id: ${seq[1]}\ndata: ${frame}\n\n` : `data: ${frame}\n\n`);
    return this.buffered() > 0 ? "buffered" : "sent";
  }

  /** Bytes written to the stream that the client has not read yet. */
  buffered(): number {
    if (this.ended) return 0;
    return Math.max(0, 64 * 1024 - (this.controller.desiredSize ?? 0));
  }

  /** Ends the session as a WebSocket close would: the client learns the code and reason. */
  close(code = 1000, reason = ""): void {
    if (this.ended) return;
    this.write(`event: ${CLOSE_EVENT}\ndata: ${JSON.stringify({ code, reason })}\n\n`);
    try {
      this.controller.close();
    } catch {
      // the client already went away
    }
    this.finish();
  }

  private write(text: string): void {
    if (this.ended) return;
    try {
      this.controller.enqueue(encoder.encode(text));
    } catch {
      this.finish();
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    this.onEnd(this);
  }
}
