import type { ActionOutcome, ActionRequest } from "../actions.ts";
import type { LocalStore } from "../local-rooms.ts";
import type { Attachment } from "../ports.ts";

/**
 * What processes that share rooms need from their shared engine (Redis, or
 * Deno KV): one owner per room through leases, an inbox per process, the
 * rooms' storage fenced by the leases, and a record of every connection so a
 * new owner can rebuild a room. The core's `ClusterRooms` does the rest.
 * `redisCluster` (`@roomwire/roomwire/redis`) implements it.
 *
 * @example
 * const cluster: ClusterPort = redisCluster({ url: "redis://127.0.0.1:6379", leaseMs: 3000 });
 * const rooms = bunRooms({ rooms: { chat }, cluster });
 */
export interface ClusterPort {
  /** This process's id: unique per start, without ":". */
  readonly processId: string;
  /** How long a lease lasts without a renewal, ms; leases and liveness are renewed every third of it. */
  readonly leaseMs: number;
  /** Rooms' storage and alarms; every commit is fenced by the room's lease. */
  readonly store: LocalStore;
  /** Marks this process alive and starts delivering its inbox to `onMail`, in each sender's order. */
  start(onMail: (mail: Mail) => void): Promise<void>;
  /** Stops reading, gives up liveness and closes the connections. */
  stop(): Promise<void>;
  /** Takes the room's lease if no process holds it. */
  acquire(room: string): Promise<boolean>;
  /** Extends a lease this process holds; false once it is lost. */
  renew(room: string): Promise<boolean>;
  /** Gives a lease up so another process may take it at once. */
  release(room: string): Promise<void>;
  /** The process holding the room's lease, or null. */
  holder(room: string): Promise<string | null>;
  /** Which of `processes` are alive (their liveness has not expired). */
  alive(processes: string[]): Promise<Set<string>>;
  /**
   * Appends `mail` to process `to`'s inbox; mails to one process arrive in
   * the order sent, and mail stored before other mail is sent is read first.
   * Resolves once it is stored (false when it could not be; it never rejects).
   */
  send(to: string, mail: Mail): Promise<boolean>;
  /** The room's recorded connections. */
  connections(room: string): Promise<ConnectionRecord[]>;
  /** Records (or updates) a connection, after everything recorded before it. */
  saveConnection(room: string, record: ConnectionRecord): void;
  /** Forgets a connection's record. */
  dropConnection(room: string, conn: string): void;
  /** Rooms whose alarm is due at `now`. */
  dueAlarms(now: number): Promise<string[]>;
}

/** A connection of a room, as a new owner finds it: which process holds its socket, and its attachment. */
export interface ConnectionRecord {
  conn: string;
  process: string;
  attachment: Attachment;
}

/** A frame as mail carries it: text as is, binary in base64. */
export type MailFrame = string | { b64: string };

/** A connection a process forwards, with the attachment it last had. */
export interface MailConnection {
  conn: string;
  attachment: Attachment;
  /** The last event number its socket was sent (resumable rooms). */
  seen?: number;
}

/** What processes send each other. `room` is the room's key (`type/name`); `from` the sender. */
export type Mail =
  // From a process holding sockets to the room's owner:
  | { k: "open"; room: string; from: string; conn: MailConnection }
  /** Every connection the sender holds for the room, after the owner changed: `adopt` were open before, `open` never were. */
  | { k: "rehome"; room: string; from: string; open: MailConnection[]; adopt: MailConnection[] }
  | { k: "message"; room: string; from: string; conn: string; frame: MailFrame }
  | { k: "closed"; room: string; from: string; conn: string; code: number; reason: string }
  | { k: "act"; room: string; from: string; call: number; request: ActionRequest }
  | { k: "http"; room: string; from: string; call: number; request: MailRequest }
  /** A fallback session's POST that reached another process than the one holding its event stream: its frames, one per line. */
  | { k: "post"; room: string; from: string; call: number; session: string; body: string }
  /** The frames of a relayed POST went to the room (`ok`), or the session had ended. */
  | { k: "posted"; call: number; ok: boolean }
  // From the owner back:
  | { k: "opened"; room: string; conns: string[] }
  | { k: "frame"; room: string; conn: string; frame: MailFrame }
  | { k: "publish"; room: string; frame: string; except?: string }
  | { k: "close"; room: string; conn: string; code: number; reason: string }
  | { k: "attachment"; room: string; conn: string; attachment: Attachment }
  /** The sender does not own the room (any more): find its owner again. */
  | { k: "moved"; room: string; from: string }
  | { k: "acted"; call: number; outcome: ActionOutcome | "moved" }
  | { k: "replied"; call: number; response: MailResponse | "moved" };

/** An HTTP request to a room, forwarded to its owner (text bodies). */
export interface MailRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
}

export interface MailResponse {
  status: number;
  headers: [string, string][];
  body: string;
}

export function toMailFrame(frame: string | ArrayBuffer | ArrayBufferView): MailFrame {
  if (typeof frame === "string") return frame;
  const bytes = frame instanceof ArrayBuffer ? new Uint8Array(frame) : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return { b64: btoa(binary) };
}

export function fromMailFrame(frame: MailFrame): string | Uint8Array {
  if (typeof frame === "string") return frame;
  const binary = atob(frame.b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export async function toMailRequest(request: Request): Promise<MailRequest> {
  const body = request.method === "GET" || request.method === "HEAD" ? null : await request.text();
  return { method: request.method, url: request.url, headers: [...request.headers], body };
}

export function fromMailRequest({ method, url, headers, body }: MailRequest): Request {
  return new Request(url, { method, headers, body });
}

export async function toMailResponse(response: Response): Promise<MailResponse> {
  return { status: response.status, headers: [...response.headers], body: await response.text() };
}
