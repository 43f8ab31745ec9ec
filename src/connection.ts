import { makeAttachment } from "./attachment.ts";
import type { Outbound } from "./outbound.ts";
import type { Attachment, RoomPorts } from "./ports.ts";
import { CloseCode, eventFrame } from "./protocol.ts";
import type { TurnQueue } from "./turns.ts";
import type { Connection, SendStatus } from "./types.ts";

/** A connection as handlers see it: reads its attachment once, writes through on `setData`. */
export class ConnectionHandle<S extends object> implements Connection<any, any> {
  /** Which join this was (0: joined before the room was last rebuilt). */
  joinedAt = 0;

  constructor(
    private readonly socket: S,
    private readonly ports: RoomPorts<S>,
    private readonly outbound: Outbound<S>,
    private readonly turns: TurnQueue,
    private attachment: Attachment,
    private readonly end: (code: number, reason: string) => void,
    private readonly ended: () => boolean,
  ) {}

  get id(): string {
    return this.attachment.id;
  }
  get data(): any {
    return this.attachment.data;
  }
  get tags(): readonly string[] {
    return this.attachment.tags ?? [];
  }
  /** The presence member, fixed at connect (rooms with `presence`). */
  get member(): string | undefined {
    return this.attachment.member;
  }
  setData(data: unknown): void {
    const next = makeAttachment(this.attachment.id, data, this.attachment.tags);
    // The member stays what it was at connect: presence counts it under that name until it leaves.
    if (this.attachment.member !== undefined) next.member = this.attachment.member;
    this.ports.sockets.setAttachment(this.socket, next);
    this.attachment = next;
  }
  send(type: string, data: unknown): SendStatus {
    return this.output(eventFrame(type, data));
  }
  sendBinary(bytes: Uint8Array | ArrayBuffer): SendStatus {
    return this.output(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  }
  close(code: number = CloseCode.normal, reason = ""): void {
    // After the frames the turn sent before it.
    this.turns.output(() => this.end(code, reason));
  }

  /** Sends in turn order; the status is what the socket would say now (the frame may leave after the turn's commit). */
  private output(frame: string | Uint8Array): SendStatus {
    let status: SendStatus | undefined;
    this.turns.output(() => (status = this.outbound.send(this.socket, frame)));
    if (status !== undefined) return status;
    if (this.ended()) return "dropped";
    return (this.ports.sockets.buffered?.(this.socket) ?? 0) > 0 ? "buffered" : "sent";
  }
}

