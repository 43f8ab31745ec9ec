import type { AnySocket, LiveRoom, LocalSocket } from "../local-rooms.ts";
import type { Attachment, SocketPort } from "../ports.ts";
import { seqOf } from "../protocol.ts";
import { toMailFrame, type Mail } from "./port.ts";
import { RemoteSocket } from "./remote-socket.ts";

/** What the owner's socket port needs from its process. */
export interface OwnerPortContext {
  /** Mails another process. */
  send(to: string, mail: Mail): void;
  /** Records a connection of the room (`process` undefined: this one) so a new owner can rebuild it. */
  record(conn: string, process: string | undefined, attachment: Attachment): void;
}

/**
 * The sockets a cluster's owner gives a room's engine: this process's own,
 * and `RemoteSocket`s whose frames go by mail to the process holding them. A
 * broadcast goes to each other process once. Once the room is given up
 * (`room.gone`), nothing more leaves.
 */
export function ownerPort<S extends object>(room: LiveRoom<S>, local: SocketPort<LocalSocket<S>>, context: OwnerPortContext): SocketPort<AnySocket<S>> {
  const isRemote = (socket: AnySocket<S>): socket is RemoteSocket => socket instanceof RemoteSocket;
  const send = (to: string, mail: Mail) => room.gone || context.send(to, mail);
  const localPublish = local.publish;
  // The room's last numbered frame sent here, read once per frame however many sockets get it.
  let lastFrame: string | undefined;
  const sent = (frame: string | Uint8Array) => {
    if (typeof frame !== "string" || frame === lastFrame) return;
    lastFrame = frame;
    room.lastSent = seqOf(frame) ?? room.lastSent;
  };
  return {
    *sockets(tag) {
      yield* local.sockets(tag);
      for (const remote of room.remotes.values()) if (tag === undefined || remote.attachment.tags?.includes(tag)) yield remote;
    },
    send: (socket, frame) => {
      if (room.gone) return "dropped";
      if (!isRemote(socket)) {
        sent(frame);
        return local.send(socket, frame);
      }
      // Caught up from the replay log once its process answers (see `RemoteSocket.confirmed`).
      if (!socket.confirmed) return "sent";
      send(socket.process, { k: "frame", room: room.key, conn: socket.conn, frame: toMailFrame(frame) });
      return "sent";
    },
    close: (socket, code, reason) => {
      if (room.gone) return;
      if (!isRemote(socket)) return local.close(socket, code, reason);
      send(socket.process, { k: "close", room: room.key, conn: socket.conn, code: code ?? 1000, reason: reason ?? "" });
    },
    attachment: (socket) => (isRemote(socket) ? socket.attachment : local.attachment(socket)),
    setAttachment: (socket, attachment) => {
      if (room.gone) return;
      if (isRemote(socket)) {
        socket.attachment = attachment;
        send(socket.process, { k: "attachment", room: room.key, conn: socket.conn, attachment });
      } else local.setAttachment(socket, attachment);
      context.record(attachment.id, isRemote(socket) ? socket.process : undefined, attachment);
    },
    // The process holding a remote socket bounds its queue itself (ClusterRooms' `deliver`).
    buffered: local.buffered && ((socket) => (isRemote(socket) ? 0 : local.buffered!(socket))),
    // Only where this process's sockets have a native fan-out (and know their queues): the engine loops otherwise.
    publish:
      localPublish &&
      local.buffered &&
      ((frame, except) => {
        if (room.gone) return "dropped";
        const remoteExcept = except !== undefined && isRemote(except) ? except : undefined;
        sent(frame);
        const status = room.sockets.size === 0 ? "sent" : localPublish(frame, remoteExcept ? undefined : (except as LocalSocket<S> | undefined));
        if (status === false) return false;
        const processes = new Set<string>();
        for (const remote of room.remotes.values()) if (remote !== remoteExcept && remote.confirmed) processes.add(remote.process);
        for (const process of processes) send(process, { k: "publish", room: room.key, frame, except: remoteExcept?.conn });
        return status;
      }),
  };
}
