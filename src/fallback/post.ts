import type { StreamSession } from "./stream-session.ts";

/**
 * Answers a fallback session's POST: 404 for a session that is unknown or
 * ended, 413 for frames over `maxBytes`, else 204 once each frame (one per
 * line) has gone to `deliver`, as if it came on the session's socket.
 */
export async function postFrames(session: StreamSession | undefined, request: Request, maxBytes: number, deliver: (frame: string) => void): Promise<Response> {
  if (!session?.open) return new Response("No such fallback session here: it ended or never existed. Open a new event stream.", { status: 404 });
  const body = await readBody(request, maxBytes);
  if (body === undefined) return framesTooLarge(maxBytes);
  deliverFrames(session, body, deliver);
  return new Response(null, { status: 204 });
}

/** The 413 of a POST whose frames are over `maxBytes`. */
export function framesTooLarge(maxBytes: number): Response {
  return new Response(`The frames are over ${maxBytes} bytes; send fewer or smaller frames at a time.`, { status: 413 });
}

/** A POST's body, one frame per line, to the session's room: the client was heard from. */
export function deliverFrames(session: StreamSession, body: string, deliver: (frame: string) => void): void {
  session.heardAt = Date.now();
  for (const frame of body.split("\n")) if (frame !== "") deliver(frame);
}

/** A refused body is still read (and dropped) up to this many times the limit, so the connection stays usable; past that it is cut. */
const DRAIN_FACTOR = 4;

/** A request's body as text, or undefined when it is over `limit` bytes (then drained, never kept). */
export async function readBody(request: Request, limit: number): Promise<string | undefined> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let over = Number(request.headers.get("content-length") ?? 0) > limit;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    over ||= size > limit;
    if (!over) chunks.push(value);
    else if (size > DRAIN_FACTOR * limit) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  if (over) return undefined;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
