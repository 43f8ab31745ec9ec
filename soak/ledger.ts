// What one fuzz connection awaits, and the check of every frame it receives against it.
import type { Expect, Planned, RequestId } from "./frames.ts";
import { isHistory, isPeerList, type Members } from "./members.ts";
import { clip, type Tally } from "./tally.ts";

interface Pending {
  kind: string;
  expect: Expect;
  frame: string | Uint8Array;
  at: number;
}

/** After a `rate_limited` warning, answers to frames sent this close to it may be dropped by the server. */
const FLOOD_WINDOW_MS = 2_000;

const idKey = (id: unknown) => `${typeof id}:${String(id)}`;
const expected = (expect: Expect) => ("code" in expect ? `${expect.on} ${expect.code}` : expect.on);

/**
 * Answers without an id (error frames, `pong`) are sent at once, in the order
 * their frames arrived, so they are matched first-in first-out; replies are
 * matched by id and `said` by text, since handlers answer later.
 */
export class Ledger {
  private errors: Pending[] = [];
  private pongs: Pending[] = [];
  private readonly replies = new Map<string, Pending>();
  private readonly said = new Map<string, Pending>();
  private closing: Pending | undefined;
  /** Ids the server must reject, by kind: a reply carrying one is that kind's wrong answer. */
  private readonly rejected = new Map<string, string>();
  /** Answers already counted missing, so a late one is not counted again. */
  private readonly lateReplies = new Set<string>();
  private readonly lateSaid = new Set<string>();
  private readonly lateErrors = new Map<string, number>();
  private lastWarning = -Infinity;

  constructor(
    private readonly tally: Tally,
    private readonly members: Members,
    readonly user: string,
    readonly room: string,
  ) {}

  /** Answers awaited. */
  get size(): number {
    return this.errors.length + this.pongs.length + this.replies.size + this.said.size + (this.closing ? 1 : 0);
  }

  expect(planned: Planned, now: number): void {
    const pending: Pending = { kind: planned.kind, expect: planned.expect, frame: planned.frame, at: now };
    const { expect } = planned;
    if (planned.rejectedId !== undefined) this.rejected.set(idKey(planned.rejectedId), planned.kind);
    if (expect.on === "error") this.errors.push(pending);
    else if (expect.on === "pong") this.pongs.push(pending);
    else if (expect.on === "said") this.said.set(expect.text, pending);
    else if (expect.on === "close") this.closing = pending;
    else this.replies.set(idKey(expect.id), pending);
  }

  /** A frame from the server. Returns its type when it is a JSON frame. */
  frame(data: string | ArrayBuffer, now: number): string | undefined {
    if (typeof data !== "string") return this.unexpected(`a binary frame from the server ${clip(new Uint8Array(data))}`), undefined;
    if (data === "pong") {
      if (this.pongs.shift() === undefined) this.unexpected("pong without a ping");
      return undefined;
    }
    let frame: { type?: unknown; id?: RequestId; data?: any; error?: { code?: unknown } };
    try {
      frame = JSON.parse(data);
    } catch {
      return this.unexpected(`non-JSON text ${clip(data)}`), undefined;
    }
    switch (frame.type) {
      case "error":
        this.error(String(frame.error?.code), data, now);
        break;
      case "reply":
        this.reply(frame, data);
        break;
      case "said":
        this.ownSaid(frame.data, data);
        break;
      case "welcome":
        this.leaks("welcome", [...(frame.data?.peers ?? []), ...(frame.data?.history ?? [])], data);
        if (!isPeerList(frame.data?.peers) || !isHistory(frame.data?.history) || frame.data.user !== this.user) this.unexpected(`a malformed welcome ${clip(data)}`);
        break;
      case "joined":
      case "left":
        this.leaks(frame.type, frame.data, data);
        break;
      case "resume":
        break;
      default:
        this.unexpected(`an unexpected frame ${clip(data)}`);
    }
    return typeof frame.type === "string" ? frame.type : undefined;
  }

  /** The connection closed: true when that was the awaited answer (1009 after an oversized frame). */
  closed(code: number, now: number): boolean {
    const closing = this.closing;
    this.closing = undefined;
    if (closing && closing.expect.on === "close" && closing.expect.code === code) {
      this.abandon(now);
      return true;
    }
    const what = `the connection closed with ${code}`;
    if (closing) this.tally.wrongOne(closing.kind, `sent ${clip(closing.frame)}, expected close ${closing.expect.on === "close" ? closing.expect.code : "?"}, got ${code}`);
    else this.unexpected(what);
    this.abandon(now);
    return false;
  }

  /** Counts what is still awaited after `timeoutMs` as missing. */
  sweep(now: number, timeoutMs: number): void {
    const old = (pending: Pending) => now - pending.at > timeoutMs;
    const expire = (pending: Pending) => this.missing(pending, now);
    for (const pending of this.errors.filter(old)) {
      expire(pending);
      const code = (pending.expect as { code: string }).code;
      this.lateErrors.set(code, (this.lateErrors.get(code) ?? 0) + 1);
    }
    this.errors = this.errors.filter((pending) => !old(pending));
    for (const pending of this.pongs.filter(old)) expire(pending);
    this.pongs = this.pongs.filter((pending) => !old(pending));
    for (const [key, pending] of this.replies) if (old(pending)) (expire(pending), this.replies.delete(key), this.lateReplies.add(key));
    for (const [key, pending] of this.said) if (old(pending)) (expire(pending), this.said.delete(key), this.lateSaid.add(key));
    if (this.closing && old(this.closing)) (expire(this.closing), (this.closing = undefined));
  }

  /** Everything still awaited is lost (the connection ended). */
  abandon(now: number): void {
    for (const pending of [...this.errors, ...this.pongs, ...this.replies.values(), ...this.said.values()]) this.missing(pending, now);
    this.errors = [];
    this.pongs = [];
    this.replies.clear();
    this.said.clear();
  }

  private missing(pending: Pending, now: number): void {
    // Dropped by the rate limit, which warned once: documented, not wrong.
    if (Math.abs(pending.at - this.lastWarning) < FLOOD_WINDOW_MS) {
      this.tally.excused++;
      return;
    }
    this.tally.wrongOne(pending.kind, `sent ${clip(pending.frame)}, expected ${expected(pending.expect)}, got nothing within ${now - pending.at} ms`);
  }

  private error(code: string, data: string, now: number): void {
    if (code === "rate_limited") {
      this.tally.rateLimited++;
      this.lastWarning = now;
      return;
    }
    const index = this.errors.findIndex((pending) => (pending.expect as { code: string }).code === code);
    if (index >= 0) {
      this.errors.splice(index, 1);
      return;
    }
    const late = this.lateErrors.get(code) ?? 0;
    if (late > 0) {
      this.lateErrors.set(code, late - 1);
      this.tally.late++;
      return;
    }
    // Errors come in the order of their frames: the oldest awaited one got this answer instead.
    const oldest = this.errors.shift();
    if (oldest) this.tally.wrongOne(oldest.kind, `sent ${clip(oldest.frame)}, expected ${expected(oldest.expect)}, got ${clip(data)}`);
    else this.unexpected(`an unexpected error ${clip(data)}`);
  }

  private reply(frame: { id?: RequestId; data?: any; error?: { code?: unknown } }, data: string): void {
    const key = idKey(frame.id);
    const pending = this.replies.get(key);
    if (!pending) {
      if (this.lateReplies.delete(key)) this.tally.late++;
      else if (this.rejected.has(key)) this.tally.wrongOne(this.rejected.get(key)!, `a request with a bad id was answered ${clip(data)}`);
      else this.unexpected(`a reply to no request ${clip(data)}`);
      return;
    }
    this.replies.delete(key);
    // A room whose handlers are behind refuses requests past its queue bound: documented, not wrong.
    if (frame.error?.code === "rate_limited") {
      this.tally.rateLimited++;
      return;
    }
    const { expect } = pending;
    const wrong = (why: string) => this.tally.wrongOne(pending.kind, `sent ${clip(pending.frame)}, expected ${expected(expect)}, got ${clip(data)}${why ? ` (${why})` : ""}`);
    if (expect.on === "reply-error") {
      if (frame.error?.code !== expect.code) wrong("");
    } else if (frame.error !== undefined) {
      wrong("");
    } else if (expect.on === "who") {
      const peers = frame.data?.peers;
      if (!isPeerList(peers) || !peers.some((peer) => peer.user === this.user)) wrong("not a peer list with this connection in it");
      else this.leaks(pending.kind, peers, data);
    } else if (expect.on === "history") {
      if (!isHistory(frame.data) || frame.data.length > expect.limit) wrong(`not a history of at most ${expect.limit}`);
      else this.leaks(pending.kind, frame.data, data);
    }
  }

  private ownSaid(said: { user?: unknown; text?: unknown } | undefined, data: string): void {
    if (said?.user !== this.user) {
      this.leaks("said", said, data);
      return;
    }
    const text = String(said.text);
    if (this.said.delete(text)) return;
    if (this.lateSaid.delete(text)) this.tally.late++;
    else this.unexpected(`a said this connection did not send ${clip(data)}`);
  }

  private leaks(kind: string, data: unknown, frame: string): void {
    const strangers = this.members.strangers(this.room, data);
    if (strangers.length > 0) this.tally.leak(kind, `${this.user} in ${this.room} got users ${strangers.slice(0, 3).join(", ")} from elsewhere: ${clip(frame)}`);
  }

  private unexpected(what: string): void {
    this.tally.wrongOne("(unattributed)", `${this.user}: ${what}`);
  }
}
