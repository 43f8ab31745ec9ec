import type { Attachment } from "../ports.ts";

/**
 * A connection whose socket another process of the cluster holds, as the
 * room's owner sees it: the engine treats it like any socket, and what is
 * sent to it travels to that process's inbox.
 */
export class RemoteSocket {
  constructor(
    /** The connection's id (its attachment's `id`). */
    readonly conn: string,
    /** The process holding the socket. */
    readonly process: string,
    public attachment: Attachment,
    /**
     * Its process has said it still holds the socket. A new owner rebuilds a
     * room's connections from their records, unconfirmed: nothing is sent to
     * them until their process answers with what each has seen, so each gets
     * the events it missed, once and in order.
     */
    public confirmed: boolean = true,
    /** When it was rebuilt from its record (ms). */
    readonly since: number = Date.now(),
  ) {}
}
