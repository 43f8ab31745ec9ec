import { RoomEngine } from "../engine.ts";
import { roomHandle, type RoomHandle, type RoomReach } from "../handles.ts";
import { memoryStorage } from "../memory-storage.ts";
import type { Attachment, RoomPorts, StoragePort } from "../ports.ts";
import { CloseCode } from "../protocol.ts";
import { authorise } from "../router.ts";
import { committing, roomStorage } from "../storage.ts";
import type { AnyRoomDefinition as RoomDefinition, RoomStorage, SendStatus } from "../types.ts";
import { TestConnection, type TestSocket } from "./test-connection.ts";

/** Options of `testRoom`. */
export interface TestRoomOptions {
  /** Room type (default `"room"`) and name (default `"test"`), as a route would give them. */
  type?: string;
  name?: string;
  /**
   * Discard the room and build it anew before every event, as Durable Object
   * hibernation may: connections come back from their attachments, memory is
   * gone. With `reload`, the definition itself is re-read each time, so
   * module-level variables are lost too.
   */
  hibernate?: boolean;
  /** Returns a fresh copy of the definition, e.g. `() => import("./room.ts?" + Math.random()).then((m) => m.room)`. */
  reload?: () => RoomDefinition | Promise<RoomDefinition>;
  /** Clock for rate limits and `at` fields; default `Date.now`. */
  now?: () => number;
  /**
   * The room's store; default `memoryStorage()`. Pass one that fails or
   * stalls on demand to test what a room does when a commit fails.
   *
   * @example
   * const store = memoryStorage();
   * let broken = false;
   * const room = testRoom(chat, { storage: { ...store, commit: (puts, deletes) => (broken ? Promise.reject(new Error("disk full")) : store.commit(puts, deletes)) } });
   */
  storage?: StoragePort;
}

/** A room refused a connection: the `Response` the upgrade hook (or a limit) returned. */
export class RefusedError extends Error {
  constructor(readonly response: Response) {
    super(`The room refused the connection with HTTP ${response.status}.`);
    this.name = "RefusedError";
  }
}

/**
 * Runs a room definition in memory, without sockets or a runtime: the same
 * core that every adapter drives, with storage in a Map and an alarm you fire
 * by hand. Connections are typed from the definition, as `roomwire/client` is.
 *
 * @example
 * const room = testRoom(chat, { hibernate: true });
 * const alice = await room.connect("?user=alice");
 * await alice.send("say", { text: "hi" }); // alice.send("say", { text: 1 }) does not compile
 * expect((await alice.next("said")).data.text).toBe("hi");
 * const history = await alice.request("history", { limit: 10 }); // the reply handler's return type
 */
export function testRoom<Def extends RoomDefinition>(definition: Def, options: TestRoomOptions = {}): TestRoom<Def> {
  return new TestRoom(definition, options);
}

/** A room run in memory by `testRoom`; `Def` (the definition's type) types its connections. */
export class TestRoom<Def extends RoomDefinition = RoomDefinition> {
  readonly type: string;
  readonly name: string;
  /** The room's storage, to seed or inspect. */
  readonly storage: RoomStorage;
  /** How many times the room was discarded and rebuilt (hibernation mode). */
  rebuilds = 0;
  /** When the alarm is due (ms since the epoch), or null. */
  alarmAt: number | null = null;
  private readonly sockets = new Set<TestSocket>();
  private readonly settling = new Set<Promise<void>>();
  private engine: RoomEngine<TestSocket> | undefined;
  /** The last rebuild asked for (hibernation mode). */
  private building: Promise<void> = Promise.resolve();
  private readonly ports: RoomPorts<TestSocket>;
  /** Widened from `Def`: `reload` may replace it. */
  private definition: RoomDefinition;
  /**
   * A handle on this room, as server code gets one from `rooms.room(type, name)`:
   * `call` its actions, `broadcast` to its connections.
   *
   * @example
   * const room = testRoom(counter, { hibernate: true });
   * expect(await room.handle.call("reset", { to: 5 })).toBe(5);
   */
  readonly handle: RoomHandle<Def>;

  constructor(
    definition: Def,
    private readonly options: TestRoomOptions,
  ) {
    this.definition = definition;
    this.type = options.type ?? "room";
    this.name = options.name ?? "test";
    const store = options.storage ?? memoryStorage();
    // Only this room is reachable: a handle on any other answers `unknown_room`.
    const reach: RoomReach = {
      act: async (address, request) => {
        if (address.type !== this.type || address.name !== this.name) {
          return { ok: false, code: "unknown_room", message: `testRoom runs only ${this.type}/${this.name}, not ${address.type}/${address.name}.` };
        }
        return (await this.room()).act(request);
      },
    };
    const rooms = { [this.type]: definition };
    this.handle = roomHandle(reach, rooms, this.type, this.name) as RoomHandle<Def>;
    this.storage = roomStorage(committing(store));
    this.ports = {
      storage: store,
      now: options.now,
      others: { reach, rooms },
      alarm: {
        set: async (at) => void (this.alarmAt = at),
        get: async () => this.alarmAt,
        delete: async () => void (this.alarmAt = null),
      },
      sockets: {
        sockets: (tag) => [...this.sockets].filter((socket) => socket.open && (tag === undefined || socket.attachment.tags?.includes(tag))),
        send: (socket, frame): SendStatus => (socket.open ? (socket.deliver(frame), "sent") : "dropped"),
        close: (socket, code, reason) => this.serverClose(socket, code ?? CloseCode.normal, reason ?? ""),
        attachment: (socket) => structuredClone(socket.attachment),
        setAttachment: (socket, attachment) => void (socket.attachment = structuredClone(attachment)),
        buffered: (socket) => socket.buffered(),
      },
    };
  }

  /**
   * Opens a connection as a client would: `query` ("?user=alice", or a full
   * URL) and `headers` reach the `upgrade` hook. Rejects with `RefusedError` when refused.
   */
  async connect(query = "", headers?: RequestInit["headers"]): Promise<TestConnection<Def>> {
    const url = new URL(query, `http://room.test/rooms/${this.type}/${this.name}`);
    const request = new Request(url, { headers: { upgrade: "websocket", ...Object.fromEntries(new Headers(headers)) } });
    const attachment = await authorise(this.definition, request, { type: this.type, name: this.name });
    if (attachment instanceof Response) throw new RefusedError(attachment);
    const socket = this.addSocket(attachment);
    (await this.room()).open(socket);
    await this.idle();
    return socket.connection as TestConnection<Def>;
  }

  /** Sends a plain HTTP request to the room's `http` handler (426 without one). */
  async fetch(input: string | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(new URL(typeof input === "string" ? input : input.url, "http://room.test/"), typeof input === "string" ? init : input);
    if (!this.definition.http) return new Response("This is a WebSocket endpoint: connect with a WebSocket client.", { status: 426 });
    return (await this.room()).http(request);
  }

  /**
   * The room's runtime alarm rings now: runs every schedule due by the
   * room's clock (the `now` option) — the alarm set with `setAlarm`, timers
   * set with `schedule`, presence's grace periods — each as a turn, then
   * re-arms `alarmAt` for the next one.
   */
  async fireAlarm(): Promise<void> {
    this.alarmAt = null;
    await (await this.room()).alarm();
  }

  /** Resolves once every handler triggered so far has finished. */
  async idle(): Promise<void> {
    while (this.settling.size > 0) await Promise.all(this.settling);
    await this.engine?.idle();
  }

  /** The engine for the next event: the same one, or in hibernation mode a new one (after the last has gone idle). */
  private room(): Promise<RoomEngine<TestSocket>> {
    if (this.engine && !this.options.hibernate) return Promise.resolve(this.engine);
    // One rebuild at a time, in the order events arrive: two events at once must not get two live rooms.
    const next = this.building.then(() => this.rebuild());
    this.building = next.then(() => undefined, () => undefined);
    return next;
  }

  private async rebuild(): Promise<RoomEngine<TestSocket>> {
    if (this.engine && !this.options.hibernate) return this.engine;
    await this.engine?.idle();
    if (this.engine) {
      this.rebuilds++;
      if (this.options.reload) this.definition = await this.options.reload();
    }
    this.engine = new RoomEngine(this.definition, { type: this.type, name: this.name }, this.ports);
    return this.engine;
  }

  private addSocket(attachment: Attachment): TestSocket {
    const socket: TestSocket = {
      attachment,
      open: true,
      deliver: () => {},
      buffered: () => 0,
      connection: undefined as unknown as TestConnection<RoomDefinition>,
    };
    socket.connection = new TestConnection(socket, {
      message: async (frame) => (await this.room()).message(socket, frame),
      close: async (code, reason) => {
        if (!socket.open) return;
        socket.open = false;
        (await this.room()).close(socket, code, reason);
        await this.idle();
      },
      idle: () => this.idle(),
    });
    this.sockets.add(socket);
    return socket;
  }

  private serverClose(socket: TestSocket, code: number, reason: string): void {
    if (!socket.open) return;
    socket.open = false;
    socket.connection.closedBy = { code, reason };
    // The runtime reports the finished handshake as a close event, later.
    const settled = Promise.resolve()
      .then(() => this.room())
      .then((engine) => engine.close(socket, code, reason))
      .finally(() => this.settling.delete(settled));
    this.settling.add(settled);
  }
}
