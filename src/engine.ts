import { lostOutcome, prepareAction, thrownOutcome, type ActionOutcome, type ActionRequest } from "./actions.ts";
import { ConnectionHandle } from "./connection.ts";
import { dispatch, textSize, toBytes, type Dispatch } from "./dispatch.ts";
import { RoomError } from "./errors.ts";
import { roomHandle, RoomCallError } from "./handles.ts";
import { resolveLimits, type RoomLimits } from "./limits.ts";
import { Outbound } from "./outbound.ts";
import type { RoomPorts } from "./ports.ts";
import { CloseCode, errorFrame, eventFrame, PING, PONG, PRESENCE_TYPE, replyErrorFrame, replyFrame, sequenceFrame, type ErrorBody, type ErrorCode } from "./protocol.ts";
import { floodMessage, RateLimiter } from "./rate-limit.ts";
import { Presence, resolvePresence, roomPresence } from "./presence.ts";
import { ReplayLog } from "./replay.ts";
import { roomTimers, Schedules, type DueSchedule } from "./schedules.ts";
import { roomStorage } from "./storage.ts";
import { TurnQueue } from "./turns.ts";
import type { AnyRoomDefinition as RoomDefinition, CloseInfo, Connection, Except, HookName, Room, RoomAddress } from "./types.ts";

type AnyConnection = Connection<any, any>;
type AnyRoom = Room<any, any>;
type Task = () => unknown;

/**
 * One room, driven by an adapter: it turns socket events into handler calls
 * and handler calls into frames. It holds no state that matters across
 * events (connections are rebuilt from attachments, rate-limit buckets start
 * full), so an adapter may drop it and build a new one at any time, as
 * Durable Object hibernation does.
 */
export class RoomEngine<S extends object> {
  readonly room: AnyRoom;
  private readonly limits: RoomLimits;
  private readonly connectionsBySocket = new Map<S, ConnectionHandle<S>>();
  private readonly rateLimiter: RateLimiter<S>;
  /** Sockets that have ended (their close hook ran or is queued) or not yet joined (connect hook queued): not listed, not broadcast to. */
  private readonly ended = new WeakSet<S>();
  private readonly joining = new Set<S>();
  private closing = 0;
  /**
   * At least as many as the sockets the adapter lists: the last count, plus one per `open` since.
   * Nothing but a recount lowers it, so it stays an upper bound; unknown until the first `open`
   * (a rebuilt room counts again).
   */
  private socketsAtMost: number | undefined;
  /** Handlers run here, one at a time; their writes commit, and their frames leave, turn by turn. */
  private readonly turns: TurnQueue;
  /** How many of the queued turns are each socket's messages. */
  private readonly queuedBySocket = new Map<S, number>();
  /** Connections joined so far: a broadcast reaches only those that had joined when it was made. */
  private joins = 0;
  private readonly now: () => number;
  /** Every frame to a client goes through it: the bound on what a connection may leave queued. */
  private readonly outbound: Outbound<S>;
  private readonly replay: ReplayLog | undefined;
  /** Named wake-ups (the user's alarm and timers, presence's grace periods) on the runtime's one alarm. */
  private readonly schedules: Schedules;
  private readonly presence: Presence | undefined;

  constructor(
    private readonly definition: RoomDefinition,
    readonly address: RoomAddress,
    private readonly ports: RoomPorts<S>,
  ) {
    this.limits = resolveLimits(definition.limits);
    this.now = ports.now ?? Date.now;
    this.rateLimiter = new RateLimiter(this.limits.rateLimit, this.now);
    this.outbound = new Outbound(ports.sockets, this.limits.outbound, this.now, (socket, code, reason) => this.closeSocket(socket, code, reason));
    this.turns = new TurnQueue(ports.storage, this.now, {
      threw: (turn, error) => this.failed(turn.during, turn.connection as AnyConnection | undefined, error, turn.fail),
      commitFailed: (error) => this.report("commit", undefined, error),
      reload: () => this.replay && (() => this.replay!.load()),
    });
    this.schedules = new Schedules(this.turns.storage, ports.alarm);
    if (definition.presence) {
      this.presence = new Presence(resolvePresence(definition.presence), this.turns.storage, this.schedules, {
        members: () => this.members(),
        broadcast: (frame) => this.room.broadcast(PRESENCE_TYPE, frame),
        now: this.now,
      });
    }
    this.room = this.makeRoom();
    if (definition.resume) {
      const replay = new ReplayLog(this.turns.storage, definition.resume === true ? {} : definition.resume, this.now);
      this.replay = replay;
      this.enqueue("connect", undefined, () => replay.load());
    }
  }

  /** A socket was accepted and carries its attachment: refuse it if the room is full, else run `connect`. */
  open(socket: S): void {
    // Counting the sockets costs O(n) (on Cloudflare it builds the array of every socket), so only
    // near the limit: an upper bound of the count, which each open raises by one, decides the rest.
    const atMost = this.socketsAtMost === undefined ? Infinity : this.socketsAtMost + 1;
    this.socketsAtMost = atMost;
    if (atMost > this.limits.maxConnections) {
      let count = 0;
      for (const _ of this.ports.sockets.sockets()) count++;
      this.socketsAtMost = count;
    }
    if (this.socketsAtMost > this.limits.maxConnections) {
      // Turned away before it joined: no connect, so no close hook either.
      this.ended.add(socket);
      this.ports.sockets.setAttachment(socket, { ...this.ports.sockets.attachment(socket), ended: true });
      this.ports.sockets.close(socket, CloseCode.tryLater, "room is full; try again later");
      return;
    }
    if (this.presence) {
      const attachment = this.ports.sockets.attachment(socket);
      if (attachment.member === undefined) {
        try {
          this.ports.sockets.setAttachment(socket, { ...attachment, member: this.presence.memberOf(attachment.data) });
        } catch (error) {
          this.report("connect", undefined, error);
          this.ended.add(socket);
          this.ports.sockets.setAttachment(socket, { ...attachment, ended: true });
          this.ports.sockets.close(socket, CloseCode.internal, "the room could not tell which member this connection is");
          return;
        }
      }
    }
    const connection = this.connection(socket);
    this.joining.add(socket);
    const since = this.replay ? this.ports.sockets.attachment(socket).since : undefined;
    const member = (connection as ConnectionHandle<S>).member;
    const joined = () => {
      if (!this.presence || member === undefined) return this.definition.connect?.(connection, this.room);
      return this.presence.join(member, (frame) => this.emit(socket, eventFrame(PRESENCE_TYPE, frame))).then(() => this.definition.connect?.(connection, this.room));
    };
    // Synchronous when nothing needs storage, so the frames of a room without state leave within the call.
    const connect = () => {
      this.joining.delete(socket);
      (connection as ConnectionHandle<S>).joinedAt = ++this.joins;
      if (this.replay && since !== undefined) return this.resume(socket, since).then(joined);
      if (this.replay) this.emit(socket, sequenceFrame("resume", this.replay.current));
      return joined();
    };
    this.turns.enqueue({
      during: "connect",
      connection,
      task: connect,
      fail: this.errorTo(socket),
      // Its welcome was lost with the commit: the client reconnects and is welcomed again.
      lost: () => this.closeSocket(socket, CloseCode.internal, "the room could not store its state; reconnect"),
    });
  }

  /** A frame arrived on `socket`. */
  message(socket: S, frame: string | ArrayBuffer | ArrayBufferView): void {
    if (this.ended.has(socket)) return;
    const size = typeof frame === "string" ? textSize(frame, this.limits.maxMessageBytes) : frame.byteLength;
    if (size > this.limits.maxMessageBytes) {
      this.closeSocket(socket, CloseCode.tooBig, `message over ${this.limits.maxMessageBytes} bytes`);
      return;
    }
    // Heartbeats skip the rate limit: on Cloudflare the runtime answers them without the room seeing them.
    if (frame === PING) {
      this.outbound.send(socket, PONG);
      return;
    }
    if (!this.allow(socket)) return;
    this.handle(socket, dispatch(this.definition, typeof frame === "string" ? frame : toBytes(frame)));
  }

  /**
   * Holds a connection that was open elsewhere (a cluster's room moved to
   * this process) like one still joining: no broadcast reaches it until
   * `catchUp` lets it in.
   */
  hold(socket: S): void {
    this.joining.add(socket);
  }

  /**
   * Lets in a connection that was open elsewhere, without `connect`: in a
   * resumable room it first gets the events it missed after `since` (the
   * last one it was sent), then every newer frame, in order and once.
   */
  catchUp(socket: S, since: number | undefined): void {
    const connection = this.connection(socket) as ConnectionHandle<S>;
    this.joining.add(socket);
    const task = () => {
      this.joining.delete(socket);
      connection.joinedAt = ++this.joins;
      return this.replay && since !== undefined ? this.resume(socket, since) : undefined;
    };
    this.turns.enqueue({ during: "connect", connection, task, fail: this.errorTo(socket) });
  }

  /** Sends what a reconnecting client missed since `since`, then where it stands: `resume`, or `resync` when the log cannot cover the gap. */
  private async resume(socket: S, since: number): Promise<void> {
    const replay = this.replay!;
    const frames = await replay.since(since);
    for (const frame of frames ?? []) this.emit(socket, frame);
    this.emit(socket, sequenceFrame(frames ? "resume" : "resync", replay.current));
  }

  /**
   * `socket` has closed or dropped: run `close` once. Adapters call it when
   * the runtime reports a close; the engine calls it itself when it closes a
   * socket, so the hook runs at once even if the peer never answers.
   */
  close(socket: S, code: number, reason: string): void {
    if (this.ended.has(socket)) return;
    this.ended.add(socket);
    // Closed by the server, whose hook ran in an earlier life of the room (before a hibernation).
    if (this.ports.sockets.attachment(socket).ended) return;
    this.closing++;
    const connection = this.connection(socket);
    const info: CloseInfo = { code, reason };
    this.enqueue("close", connection, () => this.definition.close?.(connection, this.room, info));
    const member = (connection as ConnectionHandle<S>).member;
    // A turn of its own: a close hook that throws must not keep the member listed.
    if (this.presence && member !== undefined) this.enqueue("close", connection, () => this.presence!.leave(member));
    this.enqueue("close", connection, () => {
      this.closing--;
      this.joining.delete(socket);
      this.connectionsBySocket.delete(socket);
      this.rateLimiter.forget(socket);
    });
  }

  /** Closes a socket from the server side and runs its `close` hook. */
  private closeSocket(socket: S, code: number, reason: string): void {
    if (this.ended.has(socket)) return;
    this.close(socket, code, reason);
    // Marked on the socket, so the runtime's own close report is ignored even by a rebuilt room.
    this.ports.sockets.setAttachment(socket, { ...this.ports.sockets.attachment(socket), ended: true });
    this.ports.sockets.close(socket, code, reason);
  }

  /**
   * The runtime's alarm rang: runs every schedule that is due (the room's
   * `alarm`, its timers, presence's grace periods), each as a turn of its own,
   * then points the runtime alarm at the next one. Rejects when a commit lost
   * what one of them did (it stays due, and the adapter rings again).
   */
  async alarm(): Promise<void> {
    let due: DueSchedule[] = [];
    await this.run("alarm", undefined, async () => void (due = await this.schedules.due(this.now())));
    for (const schedule of due) {
      let threw = false;
      await this.run(schedule.owner === "timer" ? "timer" : "alarm", undefined, async () => {
        this.schedules.done(schedule);
        try {
          if (schedule.owner === "alarm") await this.definition.alarm?.(this.room);
          else if (schedule.owner === "timer") await this.definition.timer?.(schedule.name, this.room);
          else await this.presence?.due(schedule.name);
        } catch (error) {
          threw = true;
          throw error;
        }
      });
      // A handler that threw is not run again (its error went to the error hook), so it must not stay due.
      if (threw) await this.run("alarm", undefined, () => this.schedules.done(schedule));
    }
    await this.run("alarm", undefined, () => this.schedules.rearm());
  }

  /** A plain HTTP request reached the room (the adapter checked that `http` is defined). Answered once its writes are durable. */
  http(request: Request): Promise<Response> {
    const failed = () => new Response("internal error", { status: 500 });
    return new Promise((resolve) => {
      let response: Response | undefined;
      this.turns.enqueue({
        during: "http",
        task: async () => {
          response = await this.definition.http!(request, this.room);
        },
        settle: (error) => resolve(error === undefined && response ? response : failed()),
      });
    });
  }

  /**
   * Server code's request through a room handle: runs as a turn; resolves
   * once its writes are durable and its frames sent, never rejects.
   */
  act(request: ActionRequest): Promise<ActionOutcome> {
    const where = `${this.address.type}/${this.address.name}`;
    const prepared = prepareAction(this.definition, request, where);
    if (!prepared.ok) return Promise.resolve(prepared.outcome);
    const what = request.kind === "call" ? `The action "${request.action}"` : `A broadcast of "${request.type}"`;
    return new Promise((resolve) => {
      let outcome: ActionOutcome | undefined;
      this.turns.enqueue({
        during: prepared.during,
        task: async () => {
          try {
            outcome = await prepared.run(this.room);
          } catch (error) {
            outcome = thrownOutcome(error, what, where);
            throw error;
          }
        },
        settle: (error) => resolve(error === undefined && outcome ? outcome : lostOutcome(where)),
      });
    });
  }

  /** Resolves once every queued handler has finished and its writes are committed. */
  idle(): Promise<void> {
    return this.turns.idle();
  }

  /** The connection object of a socket, built from its attachment on first use. */
  connection(socket: S): AnyConnection {
    let connection = this.connectionsBySocket.get(socket);
    if (!connection) {
      connection = new ConnectionHandle(socket, this.ports, this.outbound, this.turns, this.ports.sockets.attachment(socket), (code, reason) => this.closeSocket(socket, code, reason), () => this.ended.has(socket));
      this.connectionsBySocket.set(socket, connection);
    }
    return connection;
  }

  /** Whether the rate limit lets this frame through; warns once per flood, closes a flood that goes on. */
  private allow(socket: S): boolean {
    const verdict = this.rateLimiter.take(socket);
    if (verdict === "ok") return true;
    const limit = this.rateLimiter.limit;
    if (verdict === "drop-and-warn" && limit) this.sendError(socket, "rate_limited", floodMessage(limit));
    else if (verdict === "close") this.closeSocket(socket, CloseCode.policy, "rate limit exceeded for too long");
    return false;
  }

  /** Runs what a frame asks for as a turn, or sends the answer to a refused one. */
  private handle(socket: S, dispatched: Dispatch): void {
    if (dispatched.kind === "refused") {
      this.outbound.send(socket, dispatched.answer);
      return;
    }
    const connection = this.connection(socket);
    if (dispatched.kind === "presence") {
      const member = (connection as ConnectionHandle<S>).member!;
      this.enqueueMessage(socket, "event", connection, () => this.presence!.set(member, dispatched.state), this.errorTo(socket));
      return;
    }
    if (dispatched.kind === "event") {
      this.enqueueMessage(socket, dispatched.during, connection, () => dispatched.handler(connection, this.room), this.errorTo(socket));
      return;
    }
    const { id, handler } = dispatched;
    const reply = async () => {
      // A reply is built only for a client that reads what it is sent: a small request must not pile up large replies.
      const verdict = this.outbound.mayReply(socket);
      if (verdict !== "ok") {
        const message = "This connection has too much unread data waiting; read it before sending more requests.";
        if (verdict === "refused") this.emit(socket, replyErrorFrame(id, { code: "rate_limited", message }));
        return;
      }
      this.emit(socket, replyFrame(id, await handler(connection, this.room)));
    };
    this.enqueueMessage(socket, "request", connection, reply, (body) => this.emit(socket, replyErrorFrame(id, body)));
  }

  private sendError(socket: S, code: ErrorCode, message: string): void {
    this.outbound.send(socket, errorFrame({ code, message }));
  }

  private errorTo(socket: S): (body: ErrorBody) => void {
    return (body) => this.emit(socket, errorFrame(body));
  }

  /** Sends `frame` in turn order: after the commit of the running turn and of those before it. */
  private emit(socket: S, frame: string): void {
    this.turns.output(() => this.outbound.send(socket, frame));
  }

  /** Queues a handler or hook as a turn of the room. */
  private enqueue(during: HookName, connection: AnyConnection | undefined, task: Task, fail?: (body: ErrorBody) => void): void {
    this.turns.enqueue({ during, connection, task, fail });
  }

  /**
   * Queues the handler of a client's message, unless the room, or this connection, already has
   * as many waiting as its limits allow: then the message is answered `rate_limited` and dropped,
   * so a room whose handlers fall behind holds a bounded backlog rather than one that grows.
   */
  private enqueueMessage(socket: S, during: HookName, connection: AnyConnection, task: Task, fail: (body: ErrorBody) => void): void {
    if (!this.turns.busy) return this.enqueue(during, connection, task, fail);
    const mine = this.queuedBySocket.get(socket) ?? 0;
    const { maxQueuedMessages, maxQueuedPerConnection } = this.limits;
    const waiting = this.turns.waiting;
    if (waiting >= maxQueuedMessages || mine >= maxQueuedPerConnection) {
      const whose = mine >= maxQueuedPerConnection ? `${mine} of this connection's messages are` : `${waiting} messages are`;
      const message = `The room is busy: ${whose} waiting to be handled. This one was dropped; send it again later.`;
      this.turns.outside(() => fail({ code: "rate_limited", message }));
      return;
    }
    this.queuedBySocket.set(socket, mine + 1);
    this.enqueue(during, connection, () => {
      const left = (this.queuedBySocket.get(socket) ?? 1) - 1;
      if (left > 0) this.queuedBySocket.set(socket, left);
      else this.queuedBySocket.delete(socket);
      return task();
    }, fail);
  }

  /** Like `enqueue`, but resolves when the turn's writes are durable (rejects when a failed commit lost them). */
  private run(during: HookName, connection: AnyConnection | undefined, task: Task): Promise<void> {
    return new Promise((resolve, reject) => {
      this.turns.enqueue({ during, connection, task, settle: (error) => (error === undefined ? resolve() : reject(error)) });
    });
  }

  private failed(during: HookName, connection: AnyConnection | undefined, error: unknown, fail?: (body: ErrorBody) => void): void {
    const body: ErrorBody =
      error instanceof RoomError
        ? { code: error.code, message: error.message }
        : { code: "internal", message: "The room failed to handle this message. The error was reported to the room." };
    fail?.(body);
    this.report(during, connection, error);
  }

  private report(during: HookName, connection: AnyConnection | undefined, error: unknown): void {
    if (error instanceof RoomError) return;
    const hook = this.definition.error;
    if (!hook) {
      const what = during === "commit" ? "storing a turn's writes failed; its frames were not sent" : `${during} handler threw`;
      console.error(`roomwire: ${this.address.type}/${this.address.name}: ${what}`, error);
      return;
    }
    try {
      const result = hook(error, { during, room: this.room, connection });
      if (isPromise(result)) result.then(undefined, (inner) => console.error("roomwire: the error hook threw", inner));
    } catch (inner) {
      console.error("roomwire: the error hook threw", inner);
    }
  }

  private makeRoom(): AnyRoom {
    const { sockets } = this.ports;
    const storage = roomStorage(this.turns.storage);
    return {
      type: this.address.type,
      name: this.address.name,
      storage,
      connections: (tag) => {
        const list: AnyConnection[] = [];
        for (const socket of sockets.sockets(tag)) if (this.listed(socket)) list.push(this.connection(socket));
        return list;
      },
      broadcast: (type, data, options) => {
        // Only broadcasts to everyone are numbered and replayable: one that leaves someone out is about the present.
        const joins = this.joins;
        if (this.replay && options?.except === undefined) {
          const frame = this.replay.stamp(type, data);
          this.turns.output(() => this.broadcast(frame, undefined, joins));
        } else {
          const frame = eventFrame(type, data);
          const except = options?.except;
          this.turns.output(() => this.broadcast(frame, except, joins));
        }
      },
      ...roomTimers(this.schedules),
      presence: roomPresence(this.presence),
      handle: (type, name) => {
        const others = this.ports.others;
        if (!others) throw new RoomCallError("unknown_room", `No other rooms are reachable from ${this.address.type}/${this.address.name} here.`, { type, name });
        return roomHandle(others.reach, others.rooms, type, name, { address: this.address, busy: () => this.turns.busy }) as never;
      },
    };
  }

  /** The member of every listed connection, one per connection. */
  private *members(): Iterable<string> {
    for (const socket of this.ports.sockets.sockets()) {
      if (!this.listed(socket)) continue;
      const member = (this.connection(socket) as ConnectionHandle<S>).member;
      if (member !== undefined) yield member;
    }
  }

  private listed(socket: S): boolean {
    return !this.ended.has(socket) && !this.joining.has(socket);
  }

  /** Sends `frame` to every connection that had joined when the broadcast was made (`joins`), but `except`. */
  private broadcast(frame: string, except: Except | undefined, joins: number): void {
    const { sockets } = this.ports;
    const skip = exceptIds(except);
    if (sockets.publish && skip.size <= 1 && this.closing === 0 && this.joining.size === 0 && this.joins === joins) {
      let skipped: S | undefined;
      if (skip.size === 1) {
        const [id] = skip;
        for (const [socket, connection] of this.connectionsBySocket) if (connection.id === id) skipped = socket;
      }
      if (skip.size === 0 || skipped !== undefined) {
        const status = sockets.publish(frame, skipped);
        // Some socket is backed up: find those over their bound (the runtime closes one past its own hard limit, never drops silently).
        if (status !== false && status !== "sent") this.outbound.sweep(sockets.sockets());
        if (status !== false) return;
      }
    }
    // Connections that joined after the broadcast was made (it waited for a commit) do not get it.
    const latecomers = this.joins !== joins;
    for (const socket of sockets.sockets()) {
      if (!this.listed(socket)) continue;
      if (latecomers || skip.size > 0) {
        const connection = this.connection(socket) as ConnectionHandle<S>;
        if (latecomers && connection.joinedAt > joins) continue;
        if (skip.has(connection.id)) continue;
      }
      this.outbound.send(socket, frame);
    }
  }
}

const NO_ONE: ReadonlySet<string> = new Set();

function exceptIds(except: Except | undefined): ReadonlySet<string> {
  if (except === undefined) return NO_ONE;
  const list = Array.isArray(except) ? except : [except];
  return new Set(list.map((item: AnyConnection | string) => (typeof item === "string" ? item : item.id)));
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === "function";
}
