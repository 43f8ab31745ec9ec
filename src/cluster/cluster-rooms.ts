import type { ActionOutcome, ActionRequest } from "../actions.ts";
import { deliverFrames, framesTooLarge, readBody } from "../fallback/post.ts";
import type { FallbackLimits } from "../fallback/sessions.ts";
import { HARD_QUEUE_FACTOR, SLOW_CONSUMER } from "../outbound.ts";
import { resolveLimits } from "../limits.ts";
import { LocalRooms, roomKey, type AnySocket, type LiveRoom, type LocalSocket, type LocalSockets } from "../local-rooms.ts";
import type { Attachment, SocketPort } from "../ports.ts";
import { CloseCode, seqOf } from "../protocol.ts";
import { TokenBucket } from "../rate-limit.ts";
import type { AnyRoomDefinition, RoomAddress } from "../types.ts";
import { fromMailFrame, fromMailRequest, toMailFrame, toMailRequest, toMailResponse, type ClusterPort, type Mail, type MailConnection, type MailRequest, type MailResponse } from "./port.ts";
import { ownerPort } from "./owner-port.ts";
import { RemoteSocket } from "./remote-socket.ts";

/** Frames a room's site holds while its owner is being found; past it a socket that sends more is closed with 1013. */
const MAX_WAITING = 1000;

/** Relayed fallback sessions whose rate a process tracks; past it, it starts again. */
const MAX_RELAYED = 10_000;

/** How far past the room's rate limit a forwarding process lets frames through: the owner still sees a flood, and closes it. */
const FORWARD_RATE_FACTOR = 2;

/** How long a process waits before asking again who owns a room whose owner is gone or not yet known, ms. */
const RETRY_MS = 200;

/** The code a `close` hook sees for a connection whose socket is gone without a close (as a runtime reports a dropped socket). */
const DROPPED = 1006;

/** Why a dead process's connections leave their room. */
const PROCESS_GONE = "its server process stopped";

/** A socket this process holds for a room another process owns. */
interface Forwarded<S> {
  socket: LocalSocket<S>;
  /** The owner has opened it (its `connect` ran); a new owner adopts it rather than opening it again. */
  opened: boolean;
  /** The last event number delivered to it, from which a new owner catches it up. */
  seen?: number;
  /** Bounds what it may push into the owner's inbox (see `FORWARD_RATE_FACTOR`). */
  bucket?: TokenBucket;
}

/** A room this process serves sockets or requests for but does not own. */
interface Site<S> {
  key: string;
  /** The owner, once known; undefined while it is being found. */
  owner: string | undefined;
  conns: Map<string, Forwarded<S>>;
  /** Work that waits for the owner to be known. */
  waiting: (() => void)[];
}

/** A request sent to another process, waiting for its answer. */
/** What another process answers a request with: an action's outcome, an HTTP response, whether a relayed POST was taken, or that it moved or died. */
type Answer = ActionOutcome | MailResponse | boolean | "moved" | "gone";

interface Call {
  owner: string;
  resolve(answer: Answer): void;
}

/**
 * The rooms of one process of a cluster: as `LocalRooms`, but a room lives
 * in one process at a time, its owner, which holds the room's lease. Any
 * process accepts sockets; one that does not own the room forwards their
 * opens, frames and closes to the owner's inbox and delivers the owner's
 * frames. The owner's engine sees those connections as `RemoteSocket`s.
 * When an owner dies or loses its lease, the next process to need the room
 * takes the lease once it expires and rebuilds the room from storage and the
 * recorded connections: those of dead processes leave (their `close` hook
 * runs), the rest carry on. Adapters build it through `processRooms`.
 *
 * @example
 * const rooms = new ClusterRooms(definitions, redisCluster({ url }), runtimeSockets);
 */
export class ClusterRooms<S extends object> extends LocalRooms<S> {
  private readonly sites = new Map<string, Site<S>>();
  private readonly siteOf = new WeakMap<LocalSocket<S>, Site<S>>();
  private readonly calls = new Map<number, Call>();
  private nextCall = 0;
  private readonly me: string;
  private readonly ready: Promise<void>;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly ringing = new Set<string>();
  /** Rooms whose lease this process holds. */
  private readonly holding = new Set<string>();
  /** Rooms kept live while work on them runs (an action, an HTTP request, an alarm), by count. */
  private readonly pins = new Map<string, number>();
  /** The rate of each fallback session whose POSTs this process relays to another (see `post`). */
  private readonly relayed = new Map<string, TokenBucket>();

  constructor(
    rooms: Record<string, AnyRoomDefinition>,
    private readonly cluster: ClusterPort,
    sockets: LocalSockets<S>,
    fallback?: FallbackLimits,
  ) {
    // A fallback session's id names its process, so a POST that lands elsewhere finds it (no sticky sessions).
    super(rooms, cluster.store, sockets, fallback, false, `${cluster.processId}.`);
    this.me = cluster.processId;
    this.ready = cluster.start((mail) => this.mail(mail));
    this.ready.catch((error) => console.error("roomwire: the cluster did not start", error));
    this.ticker = setInterval(() => void this.tick().catch((error) => console.error("roomwire: the cluster's renewal failed", error)), cluster.leaseMs / 3);
  }

  // ---- this process's sockets and requests ----

  override open(address: RoomAddress, socket: LocalSocket<S>): void {
    this.cap.opened(this.attachmentOf(socket));
    const key = roomKey(address);
    const room = this.live.get(key);
    if (room) return this.openHere(room, socket);
    const site = this.site(key);
    site.conns.set(this.attachmentOf(socket).id, this.forwarded(key, socket, false));
    this.siteOf.set(socket, site);
    // While the owner is being found, it gets the open with every other connection of the site.
    if (site.owner !== undefined) this.cluster.send(site.owner, { k: "open", room: key, from: this.me, conn: this.connection({ socket, opened: false }) });
  }

  override message(_address: RoomAddress | undefined, socket: LocalSocket<S>, frame: string | ArrayBuffer | ArrayBufferView): void {
    const room = this.roomOf.get(socket);
    if (room) return room.engine.message(socket, frame);
    const forwarded = this.siteOf.get(socket)?.conns.get(this.attachmentOf(socket).id);
    // Beyond twice the room's rate the owner would drop it anyway: it never reaches Redis.
    if (!forwarded || (forwarded.bucket && forwarded.bucket.take(Date.now()) !== "ok")) return;
    this.pass(socket, frame);
  }

  /** A frame of a socket whose room another process owns: to the owner, or held until the owner is known. */
  private pass(socket: LocalSocket<S>, frame: string | ArrayBuffer | ArrayBufferView): void {
    // The room may have come to this process while the frame waited.
    const room = this.roomOf.get(socket);
    if (room) return room.engine.message(socket, frame);
    const site = this.siteOf.get(socket);
    if (!site) return;
    if (site.owner === undefined) {
      if (site.waiting.length >= MAX_WAITING) return this.closeLocal(socket, CloseCode.tryLater, "the room is moving between servers; try again");
      // Copied: the runtime may reuse a binary frame's buffer.
      const kept = typeof frame === "string" ? frame : fromMailFrame(toMailFrame(frame));
      site.waiting.push(() => this.pass(socket, kept));
      return;
    }
    this.cluster.send(site.owner, { k: "message", room: site.key, from: this.me, conn: this.attachmentOf(socket).id, frame: toMailFrame(frame) });
  }

  override closed(address: RoomAddress | undefined, socket: LocalSocket<S>, code: number, reason: string): void {
    if (this.roomOf.has(socket)) return super.closed(address, socket, code, reason);
    const site = this.siteOf.get(socket);
    this.siteOf.delete(socket);
    const conn = this.attachmentOf(socket).id;
    if (!site?.conns.delete(conn)) return this.cap.abandoned(this.attachmentOf(socket));
    this.cap.closed();
    // Unknown owner: the connection is simply missing from what the next owner is told.
    if (site.owner !== undefined) this.cluster.send(site.owner, { k: "closed", room: site.key, from: this.me, conn, code, reason });
    this.forget(site);
  }

  protected override async act(address: RoomAddress, request: ActionRequest): Promise<ActionOutcome> {
    if (!Object.hasOwn(this.rooms, address.type) || this.stopped) return super.act(address, request);
    for (let attempt = 0; ; attempt++) {
      const owner = await this.onOwner(roomKey(address), (room) => room.engine.act(request));
      if (typeof owner !== "string") return owner.result;
      const answer = await this.ask(owner, (call) => ({ k: "act", room: roomKey(address), from: this.me, call, request }));
      if (answer === "gone") return { ok: false, code: "closed", message: `The process owning ${roomKey(address)} stopped answering; the action may or may not have run.` };
      if (answer !== "moved" || attempt >= 5) return answer === "moved" ? { ok: false, code: "closed", message: `${roomKey(address)} kept moving between processes; try again.` } : (answer as ActionOutcome);
    }
  }

  override async http(address: RoomAddress, request: Request): Promise<Response> {
    const key = roomKey(address);
    let forwarded: MailRequest | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const local = forwarded ? fromMailRequest(forwarded) : request;
      const owner = await this.onOwner(key, (room) => room.engine.http(local));
      if (typeof owner !== "string") return owner.result;
      const body = (forwarded ??= await toMailRequest(request));
      const answer = await this.ask(owner, (call) => ({ k: "http", room: key, from: this.me, call, request: body }));
      if (answer === "gone") break;
      if (answer !== "moved") {
        const { status, headers, body } = answer as MailResponse;
        return new Response(status === 101 || status === 204 || status === 304 ? null : body, { status, headers });
      }
    }
    return new Response(`The room ${key} could not be reached in the cluster; try again.`, { status: 503 });
  }

  /** A fallback session's POST: here if this process holds its event stream, else relayed to the process that does. */
  protected override async post(address: RoomAddress, id: string, request: Request, maxMessageBytes: number): Promise<Response> {
    const key = roomKey(address);
    const holder = id.slice(0, Math.max(0, id.indexOf(".")));
    if (this.sessions.find(id, key) || holder === "" || holder === this.me || !(await this.cluster.alive([holder])).has(holder)) {
      return super.post(address, id, request, maxMessageBytes);
    }
    const body = await readBody(request, maxMessageBytes);
    if (body === undefined) return framesTooLarge(maxMessageBytes);
    if (this.relayed.size >= MAX_RELAYED) this.relayed.clear();
    let bucket = this.relayed.get(id);
    if (!bucket) {
      bucket = this.bucket(key);
      if (bucket) this.relayed.set(id, bucket);
    }
    // As for a forwarded socket: beyond twice the room's rate, frames are dropped here.
    const frames = body.split("\n").filter((frame) => frame !== "" && (!bucket || bucket.take(Date.now()) === "ok"));
    if (frames.length === 0) return new Response(null, { status: 204 });
    // Answered once the holder has passed the frames on, so the client's next POST, through any process, comes after them.
    const taken = await this.ask(holder, (call) => ({ k: "post", room: key, from: this.me, call, session: id, body: frames.join("\n") }));
    if (taken === true) return new Response(null, { status: 204 });
    if (taken === false) return super.post(address, id, request, maxMessageBytes);
    return new Response("The server holding this session stopped answering; open a new event stream.", { status: 503 });
  }

  override async close(): Promise<void> {
    clearInterval(this.ticker);
    for (const site of this.sites.values()) {
      for (const { socket } of site.conns.values()) this.closeLocal(socket, CloseCode.goingAway, "server going away");
    }
    await super.close();
    for (const call of this.calls.values()) call.resolve("gone");
    await Promise.all([...this.live.values()].map((room) => this.cluster.release(room.key).catch(() => {})));
    await this.cluster.stop();
  }

  protected override async ring(key: string): Promise<void> {
    // Only the owner rings; a room nobody owns is taken for its alarm.
    if (this.ringing.has(key)) return;
    this.ringing.add(key);
    try {
      await this.onOwner(key, () => super.ring(key));
    } finally {
      this.ringing.delete(key);
    }
  }

  protected override room(address: RoomAddress): LiveRoom<S> {
    const key = roomKey(address);
    // Only with the lease: a room built without it could only fail its commits.
    if (!this.live.has(key) && !this.holding.has(key)) throw new Error(`roomwire: this process does not own ${key} (its lease is elsewhere or lost).`);
    return super.room(address);
  }

  protected override async release(key: string): Promise<void> {
    if (!this.pins.has(key)) return super.release(key);
  }

  // ---- ownership ----

  /**
   * Runs `work` on the room when this process owns it (or can take it), with
   * the room kept live until it is done; otherwise answers the owner's id.
   */
  private onOwner<T>(key: string, work: (room: LiveRoom<S>) => Promise<T>): Promise<{ result: T } | string> {
    return new Promise((resolve, reject) =>
      this.at(
        key,
        (room) => {
          this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
          work(room)
            .then((result) => resolve({ result }), reject)
            .finally(() => {
              const left = this.pins.get(key)! - 1;
              if (left > 0) this.pins.set(key, left);
              else this.pins.delete(key);
              void this.release(key);
            });
        },
        (site) => resolve(site.owner!),
      ),
    );
  }

  /** Runs `here` if this process owns the room, `there` once another does; finds the owner first when it is not known. */
  private at(key: string, here: (room: LiveRoom<S>) => void, there: (site: Site<S>) => void): void {
    const room = this.live.get(key);
    if (room) return here(room);
    const site = this.site(key);
    if (site.owner !== undefined) return there(site);
    site.waiting.push(() => this.at(key, here, there));
  }

  /** The site of a room this process does not own, created (and its owner looked for) when there is none. */
  private site(key: string): Site<S> {
    let site = this.sites.get(key);
    if (site) return site;
    site = { key, owner: undefined, conns: new Map(), waiting: [] };
    this.sites.set(key, site);
    void this.find(site);
    return site;
  }

  /** Finds who owns the site's room: this process when the lease is free, or the live holder. */
  private async find(site: Site<S>): Promise<void> {
    await this.ready.catch(() => {});
    while (!this.stopped && this.sites.get(site.key) === site) {
      try {
        if (!this.live.has(site.key) && (await this.cluster.acquire(site.key))) return await this.takeOver(site);
        const holder = await this.cluster.holder(site.key);
        if (holder !== null && holder !== this.me && (await this.cluster.alive([holder])).has(holder)) return this.forwardTo(site, holder);
      } catch (error) {
        console.error(`roomwire: finding the owner of ${site.key} failed; retrying`, error);
      }
      // The holder died or is giving the room up: its lease expires within leaseMs.
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** Another process owns the room: tell it every connection this process holds for it, then send what waited. */
  private forwardTo(site: Site<S>, owner: string): void {
    site.owner = owner;
    const open: MailConnection[] = [];
    const adopt: MailConnection[] = [];
    for (const forwarded of site.conns.values()) (forwarded.opened ? adopt : open).push(this.connection(forwarded));
    if (open.length > 0 || adopt.length > 0) this.cluster.send(owner, { k: "rehome", room: site.key, from: this.me, open, adopt });
    this.drain(site);
    this.forget(site);
  }

  /**
   * This process took the room's lease: build the room from storage and the
   * recorded connections. Connections of live processes carry on; those of
   * dead ones leave (their `close` hook runs); this process's sockets join
   * directly, opened if no owner had opened them yet.
   */
  private async takeOver(site: Site<S>): Promise<void> {
    const records = await this.cluster.connections(site.key);
    const others = [...new Set(records.map((record) => record.process).filter((process) => process !== this.me))];
    const alive = await this.cluster.alive(others);
    this.sites.delete(site.key);
    this.holding.add(site.key);
    const room = this.room(addressOf(site.key));
    const recorded = new Set<string>();
    const gone: RemoteSocket[] = [];
    for (const record of records) {
      recorded.add(record.conn);
      const remote = new RemoteSocket(record.conn, record.process, record.attachment, false);
      if (record.process === this.me ? !site.conns.has(record.conn) : !alive.has(record.process)) gone.push(remote);
      else if (record.process !== this.me) {
        room.remotes.set(record.conn, remote);
        room.engine.hold(remote);
      }
    }
    for (const [conn, { socket, opened, seen }] of site.conns) {
      this.siteOf.delete(socket);
      room.sockets.add(socket);
      this.roomOf.set(socket, room);
      if (recorded.has(conn)) {
        room.engine.catchUp(socket, seen);
        continue;
      }
      if (opened) {
        // Opened by an owner that has since let it go (its record is gone): it must join again.
        this.setAttachmentOf(socket, { ...this.attachmentOf(socket), ended: true });
        this.closeLocal(socket, CloseCode.goingAway, "the room moved to another server; reconnect");
      } else {
        this.record(room, conn, this.me, this.attachmentOf(socket));
        room.engine.open(socket);
      }
    }
    for (const remote of gone) this.leave(room, remote, DROPPED, PROCESS_GONE);
    // The processes holding the other connections answer with what each has seen (see `rehome`).
    for (const process of new Set([...room.remotes.values()].map((remote) => remote.process))) this.cluster.send(process, { k: "moved", room: room.key, from: this.me });
    this.drain(site);
    void this.release(room.key);
  }

  /** Renews this process's leases, notices dead processes, and rings due alarms. Runs every third of the lease. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.ready;
    const rooms = [...this.live.values()];
    const renewed = await Promise.all(rooms.map((room) => this.cluster.renew(room.key).catch(() => false)));
    rooms.forEach((room, i) => renewed[i] || this.relinquish(room));

    const watched = new Set<string>();
    for (const site of this.sites.values()) if (site.owner !== undefined) watched.add(site.owner);
    for (const room of this.live.values()) for (const remote of room.remotes.values()) watched.add(remote.process);
    for (const call of this.calls.values()) watched.add(call.owner);
    const alive = await this.cluster.alive([...watched]);
    for (const site of [...this.sites.values()]) {
      if (site.owner === undefined || alive.has(site.owner)) continue;
      site.owner = undefined;
      void this.find(site);
    }
    const unanswered = Date.now() - 2 * this.cluster.leaseMs;
    for (const room of this.live.values()) {
      const dead = [...room.remotes.values()].filter((remote) => !alive.has(remote.process) || (!remote.confirmed && remote.since < unanswered));
      for (const remote of dead) {
        this.leave(room, remote, DROPPED, PROCESS_GONE);
        // Should that process only have paused, its socket must not linger outside the room.
        this.cluster.send(remote.process, { k: "close", room: room.key, conn: remote.conn, code: CloseCode.goingAway, reason: "the room lost this connection; reconnect" });
      }
      if (dead.length > 0) void this.release(room.key);
    }
    for (const [id, call] of this.calls) {
      if (alive.has(call.owner)) continue;
      this.calls.delete(id);
      call.resolve("gone");
    }
    for (const key of await this.cluster.dueAlarms(Date.now())) {
      void this.ring(key).catch((error) => console.error(`roomwire: the alarm of ${key} failed`, error));
    }
  }

  /**
   * The lease was lost (this process paused past it, or Redis lost it): the
   * engine may no longer send or write, this process's sockets go to the new
   * owner, and the processes holding the room's other connections find it too.
   */
  private relinquish(room: LiveRoom<S>): void {
    if (this.live.get(room.key) !== room) return;
    room.gone = true;
    this.live.delete(room.key);
    this.holding.delete(room.key);
    const site = this.site(room.key);
    for (const socket of room.sockets) {
      this.roomOf.delete(socket);
      site.conns.set(this.attachmentOf(socket).id, this.forwarded(room.key, socket, true, room.lastSent));
      this.siteOf.set(socket, site);
    }
    for (const process of new Set([...room.remotes.values()].map((remote) => remote.process))) this.cluster.send(process, { k: "moved", room: room.key, from: this.me });
  }

  protected override async dropped(room: LiveRoom<S>): Promise<void> {
    this.holding.delete(room.key);
    await this.cluster.release(room.key).catch((error) => console.error(`roomwire: releasing the lease of ${room.key} failed; it expires on its own`, error));
  }

  // ---- the owner's side of remote connections ----

  protected override socketPort(room: LiveRoom<S>, local: SocketPort<LocalSocket<S>>): SocketPort<AnySocket<S>> {
    return ownerPort(room, local, {
      send: (to, mail) => void this.cluster.send(to, mail),
      record: (conn, process, attachment) => this.record(room, conn, process ?? this.me, attachment),
    });
  }

  /** What arrives in this process's inbox. */
  private mail(mail: Mail): void {
    switch (mail.k) {
      case "open":
        return this.owned(mail.room, mail.from, (room) => {
          if (!room.remotes.has(mail.conn.conn)) this.adopt(room, mail.from, mail.conn).engine.open(room.remotes.get(mail.conn.conn)!);
          this.cluster.send(mail.from, { k: "opened", room: room.key, conns: [mail.conn.conn] });
        });
      case "rehome":
        return this.owned(mail.room, mail.from, (room) => this.rehome(room, mail.from, mail.open, mail.adopt));
      case "message":
        return this.owned(mail.room, mail.from, (room) => {
          const remote = room.remotes.get(mail.conn);
          if (remote) return room.engine.message(remote, fromMailFrame(mail.frame));
          // The room saw it leave (its process was taken for dead): it must join again.
          this.cluster.send(mail.from, { k: "close", room: room.key, conn: mail.conn, code: CloseCode.goingAway, reason: "the room lost this connection; reconnect" });
        });
      case "closed": {
        const room = this.live.get(mail.room);
        const remote = room?.remotes.get(mail.conn);
        if (!room || !remote) return;
        this.leave(room, remote, mail.code, mail.reason);
        return void this.release(room.key);
      }
      case "act":
        return void this.onOwner(mail.room, (room) => room.engine.act(mail.request)).then(
          (answer) => this.cluster.send(mail.from, { k: "acted", call: mail.call, outcome: typeof answer === "string" ? "moved" : answer.result }),
          (error) => console.error(`roomwire: an action for ${mail.room} failed`, error),
        );
      case "http":
        return void this.onOwner(mail.room, (room) => room.engine.http(fromMailRequest(mail.request)).then(toMailResponse)).then(
          (answer) => this.cluster.send(mail.from, { k: "replied", call: mail.call, response: typeof answer === "string" ? "moved" : answer.result }),
          (error) => console.error(`roomwire: an HTTP request to ${mail.room} failed`, error),
        );
      case "post": {
        const session = this.sessions.find(mail.session, mail.room);
        if (session?.open) deliverFrames(session, mail.body, (frame) => this.message(undefined, session, frame));
        return void this.cluster.send(mail.from, { k: "posted", call: mail.call, ok: session?.open === true });
      }
      case "acted":
      case "replied":
      case "posted": {
        const call = this.calls.get(mail.call);
        this.calls.delete(mail.call);
        return call?.resolve(mail.k === "acted" ? mail.outcome : mail.k === "replied" ? mail.response : mail.ok);
      }
      default:
        return this.fromOwner(mail);
    }
  }

  /** Mail from a room's owner about this process's sockets. */
  private fromOwner(mail: Extract<Mail, { k: "opened" | "frame" | "publish" | "close" | "attachment" | "moved" }>): void {
    const site = this.sites.get(mail.room);
    // A new owner asks which of its recorded connections this process still holds: none.
    if (!site) return void (mail.k === "moved" && !this.live.has(mail.room) && this.cluster.send(mail.from, { k: "rehome", room: mail.room, from: this.me, open: [], adopt: [] }));
    switch (mail.k) {
      case "opened":
        for (const conn of mail.conns) {
          const forwarded = site.conns.get(conn);
          if (forwarded) forwarded.opened = true;
        }
        return;
      case "frame": {
        const forwarded = site.conns.get(mail.conn);
        if (forwarded) this.deliver(site, forwarded, fromMailFrame(mail.frame));
        return;
      }
      case "publish":
        for (const [conn, forwarded] of site.conns) if (conn !== mail.except) this.deliver(site, forwarded, mail.frame);
        return;
      case "close": {
        const forwarded = site.conns.get(mail.conn);
        if (forwarded) this.closeLocal(forwarded.socket, mail.code, mail.reason);
        return;
      }
      case "attachment": {
        const forwarded = site.conns.get(mail.conn);
        if (forwarded) this.setAttachmentOf(forwarded.socket, mail.attachment);
        return;
      }
      case "moved":
        if (site.owner === undefined) return;
        site.owner = undefined;
        void this.find(site);
    }
  }

  /**
   * Runs `here` if this process owns room `key`, taking the room when no
   * process holds it; otherwise `elsewhere`, by default telling `from` the
   * room has moved.
   */
  private owned(key: string, from: string, here: (room: LiveRoom<S>) => void, elsewhere = () => void this.cluster.send(from, { k: "moved", room: key, from: this.me })): void {
    if (!Object.hasOwn(this.rooms, addressOf(key).type)) return elsewhere();
    this.at(key, here, (site) => {
      elsewhere();
      this.forget(site);
    });
  }

  /** A connection of process `from` joins the owner's room, without running `connect` (see `engine.open` for that). */
  private adopt(room: LiveRoom<S>, from: string, { conn, attachment }: MailConnection): LiveRoom<S> {
    room.remotes.set(conn, new RemoteSocket(conn, from, attachment));
    this.record(room, conn, from, attachment);
    return room;
  }

  /** Process `from` lists every connection it holds for the room: those it no longer lists have left. */
  private rehome(room: LiveRoom<S>, from: string, open: MailConnection[], adopt: MailConnection[]): void {
    const listed = new Set([...open, ...adopt].map(({ conn }) => conn));
    for (const remote of [...room.remotes.values()]) {
      if (remote.process === from && !listed.has(remote.conn)) this.leave(room, remote, DROPPED, "the connection closed while its room moved");
    }
    const opened: string[] = [];
    for (const connection of adopt) {
      const remote = room.remotes.get(connection.conn);
      if (remote) {
        opened.push(connection.conn);
        if (remote.confirmed) continue;
        remote.confirmed = true;
        room.engine.catchUp(remote, connection.seen);
      }
      // Its room already saw it leave: it must join again.
      else this.cluster.send(from, { k: "close", room: room.key, conn: connection.conn, code: CloseCode.goingAway, reason: "the room moved to another server; reconnect" });
    }
    for (const connection of open) {
      // Already opened (the sender had not heard so yet when it listed it).
      if (!room.remotes.has(connection.conn)) room.engine.open(this.adopt(room, from, connection).remotes.get(connection.conn)!);
      opened.push(connection.conn);
    }
    if (opened.length > 0) this.cluster.send(from, { k: "opened", room: room.key, conns: opened });
    void this.release(room.key);
  }

  /** A remote connection leaves the room: its `close` hook runs and its record goes. */
  private leave(room: LiveRoom<S>, remote: RemoteSocket, code: number, reason: string): void {
    room.remotes.delete(remote.conn);
    this.cluster.dropConnection(room.key, remote.conn);
    room.engine.close(remote, code, reason);
  }

  protected override openHere(room: LiveRoom<S>, socket: LocalSocket<S>): void {
    const attachment = this.attachmentOf(socket);
    this.record(room, attachment.id, this.me, attachment);
    super.openHere(room, socket);
  }

  protected override left(room: LiveRoom<S>, socket: LocalSocket<S>): void {
    if (!room.gone) this.cluster.dropConnection(room.key, this.attachmentOf(socket).id);
  }

  private record(room: LiveRoom<S>, conn: string, process: string, attachment: Attachment): void {
    if (!room.gone) this.cluster.saveConnection(room.key, { conn, process, attachment });
  }

  // ---- this process's side of forwarded sockets ----

  /** Delivers an owner's frame to a socket of this process, closing it as a slow consumer when its queue is past the room's hard bound. */
  private deliver(site: Site<S>, forwarded: Forwarded<S>, frame: string | Uint8Array): void {
    const outbound = resolveLimits(this.rooms[addressOf(site.key).type]?.limits).outbound;
    if (outbound && this.bufferedOf(forwarded.socket) > HARD_QUEUE_FACTOR * outbound.maxQueuedBytes) {
      return this.closeLocal(forwarded.socket, CloseCode.tryLater, SLOW_CONSUMER);
    }
    if (typeof frame === "string") forwarded.seen = seqOf(frame) ?? forwarded.seen;
    this.sendLocal(forwarded.socket, frame);
  }

  /** A socket of this process as one forwarded to room `key`'s owner. */
  private forwarded(key: string, socket: LocalSocket<S>, opened: boolean, seen?: number): Forwarded<S> {
    return { socket, opened, seen, bucket: this.bucket(key) };
  }

  /** What frames of one connection this process passes on for room `key`: twice the room's rate (none without a rate limit). */
  private bucket(key: string): TokenBucket | undefined {
    const limit = resolveLimits(this.rooms[addressOf(key).type]?.limits).rateLimit;
    return limit ? new TokenBucket({ burst: limit.burst * FORWARD_RATE_FACTOR, perSecond: limit.perSecond * FORWARD_RATE_FACTOR, closeAfterMs: Infinity }, Date.now()) : undefined;
  }

  /** Sends what waited for the owner to be known, in order. */
  private drain(site: Site<S>): void {
    for (const task of site.waiting.splice(0)) task();
  }

  /** Drops a site that holds nothing once its owner is known (the next need looks the owner up again). */
  private forget(site: Site<S>): void {
    if (site.owner !== undefined && site.conns.size === 0 && site.waiting.length === 0 && this.sites.get(site.key) === site) this.sites.delete(site.key);
  }

  /** Sends `mail` to `owner` and waits for its answer (or for `owner` to die). */
  private ask(owner: string, mail: (call: number) => Mail): Promise<Answer> {
    const call = this.nextCall++;
    return new Promise((resolve) => {
      this.calls.set(call, { owner, resolve });
      this.cluster.send(owner, mail(call));
    });
  }

  private connection({ socket, seen }: Forwarded<S>): MailConnection {
    const attachment = this.attachmentOf(socket);
    return { conn: attachment.id, attachment, seen };
  }
}

/** The address of a room from its key (`type/name`; a type has no "/"). */
function addressOf(key: string): RoomAddress {
  const slash = key.indexOf("/");
  return { type: key.slice(0, slash), name: key.slice(slash + 1) };
}
