import { DurableObject } from "cloudflare:workers";
import type { HibernatingSocket, ObjectState } from "./workers.ts";
import { postFrames, resolveLimits, RoomEngine, StreamSession, StreamSessions, withSessions, type ActionOutcome, type ActionRequest, type AnyRoomDefinition, type Attachment, type RoomAddress, type FallbackLimits, type RoomPorts, type RoomReach, type SendStatus } from "../../src/index.ts";

/** Headers only the Worker sets on what it forwards to a room's object; a client's copies are overwritten or removed. */
export const ROOM_HEADER = "x-roomwire-room";
export const CONNECTION_HEADER = "x-roomwire-connection";
/** A plain HTTP request's own `Upgrade` header, restored before the room's `http` handler sees the request. */
export const UPGRADE_HEADER = "x-roomwire-upgrade";
/** A fallback session: the GET that opens its event stream carries the attachment here ... */
export const STREAM_HEADER = "x-roomwire-stream";
/** ... and a POST of its frames names the session here. */
export const SESSION_HEADER = "x-roomwire-session";
/** The client's address, for the per-client bound on fallback sessions. */
export const CLIENT_HEADER = "x-roomwire-client";

/** The key of the object's one room among its fallback sessions. */
const OWN_ROOM = "room";

/** How often, at most, an event checks for sockets that stopped answering pings. */
const SWEEP_EVERY_MS = 30_000;

/** What a Worker's room objects serve. */
export interface RoomObjectConfig {
  rooms: Record<string, AnyRoomDefinition>;
  fallback?: FallbackLimits;
  idleTimeoutSeconds: number;
  /** How a room reaches the other rooms of the Worker (`room.handle()`), from the object's `env`. */
  reach(env: unknown): RoomReach;
}

/** A room's Durable Object, as a subclass sees it. */
export interface RoomObjectInstance {
  readonly ctx: ObjectState;
  readonly env: unknown;
  fetch(request: Request): Promise<Response>;
  webSocketMessage(ws: HibernatingSocket, message: string | ArrayBuffer): void;
  webSocketClose(ws: HibernatingSocket, code: number, reason: string): void;
  webSocketError(ws: HibernatingSocket, error: unknown): void;
  alarm(): Promise<void>;
  /** A room handle's request (Durable Object RPC): runs it as a turn of the room at `address`. */
  roomwireAct(address: RoomAddress, request: ActionRequest): Promise<ActionOutcome>;
}

/** The Durable Object class a Worker exports under wrangler.toml's `class_name`; subclass it to add methods. */
export type RoomObjectClass = new (ctx: ObjectState, env: unknown) => RoomObjectInstance;

/**
 * Builds the Durable Object class that serves every room type of a Worker.
 * Subclass it to add methods of your own; `ctx` and `env` are the object's.
 */
export function roomObjectClass(config: RoomObjectConfig): RoomObjectClass {
  // The class is built on the runtime's types; its public face is RoomObjectClass.
  return class extends RoomObject {
    constructor(ctx: DurableObjectState, env: unknown) {
      super(ctx, env, config);
    }
  } as unknown as RoomObjectClass;
}

/**
 * A room's Durable Object: one object per room, on the hibernation API only.
 * Nothing in it is needed across events: connections live in socket
 * attachments, state in storage, and the room's address in a table of its own.
 */
export class RoomObject extends DurableObject {
  private engine: RoomEngine<WebSocket | StreamSession> | undefined;
  private readonly started = Date.now();
  private lastSweep = 0;
  private readonly lastMessage = new WeakMap<WebSocket, number>();
  private readonly rooms: Record<string, AnyRoomDefinition>;
  private readonly idleTimeoutSeconds: number;
  private readonly reach: RoomReach;
  /** Fallback sessions live in memory: an open event stream keeps the object awake (no hibernation for them). */
  private readonly sessions: StreamSessions;

  constructor(ctx: DurableObjectState, env: unknown, config: RoomObjectConfig) {
    super(ctx, env as never);
    this.rooms = config.rooms;
    this.idleTimeoutSeconds = config.idleTimeoutSeconds;
    this.reach = config.reach(env);
    this.sessions = new StreamSessions(config.fallback, (session) => this.room().close(session, 1005, "the event stream ended"));
    // Heartbeats are answered by the runtime, without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS roomwire_room (id INTEGER PRIMARY KEY CHECK (id = 1), type TEXT NOT NULL, name TEXT NOT NULL)");
  }

  override async fetch(request: Request): Promise<Response> {
    const address = JSON.parse(request.headers.get(ROOM_HEADER) ?? "null") as RoomAddress | null;
    if (!address) return new Response("Room objects are reached through the Worker's room routes.", { status: 400 });
    this.remember(address);
    this.sweep();
    const engine = this.room();
    const stream = request.headers.get(STREAM_HEADER);
    if (stream !== null) {
      const opened = this.sessions.open(OWN_ROOM, request.headers.get(CLIENT_HEADER) ?? undefined, JSON.parse(stream) as Attachment);
      if (opened instanceof Response) return opened;
      engine.open(opened);
      return opened.response;
    }
    const session = request.headers.get(SESSION_HEADER);
    if (session !== null) {
      const found = this.sessions.find(session, OWN_ROOM);
      return postFrames(found, request, resolveLimits(this.definitionOf(address).limits).maxMessageBytes, (frame) => this.room().message(found!, frame));
    }
    const connection = request.headers.get(CONNECTION_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || connection === null) {
      const headers = new Headers(request.headers);
      headers.delete(ROOM_HEADER);
      headers.delete(CONNECTION_HEADER);
      const upgrade = headers.get(UPGRADE_HEADER);
      headers.delete(UPGRADE_HEADER);
      if (upgrade !== null) headers.set("upgrade", upgrade);
      return engine.http(new Request(request, { headers }));
    }
    const attachment = JSON.parse(connection) as Attachment;
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, attachment.tags ?? []);
    server.serializeAttachment(attachment);
    engine.open(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.lastMessage.set(ws, Date.now());
    this.room().message(ws, message);
    this.sweep();
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    // The hibernation API leaves the close handshake to us. 1005 means the peer's frame had no
    // code: answer without one. A drop (1006, 1015) still needs a close, or workerd keeps the
    // half-closed connection (CLOSE_WAIT) for good.
    try {
      if (code === 1005 || code === 1006 || code === 1015) ws.close();
      else ws.close(code, reason);
    } catch {
      // already closed
    }
    // A dropped link carried no close frame, so no reason (workerd describes the drop instead).
    this.room().close(ws, code, code === 1006 ? "" : reason);
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    console.error("roomwire: socket error", error);
    try {
      ws.close();
    } catch {
      // already closed
    }
    this.room().close(ws, 1006, "");
  }

  override async alarm(): Promise<void> {
    await this.room().alarm();
  }

  /** Durable Object RPC from a room handle: wakes a hibernated room, or makes a new one, and runs the request as a turn. */
  async roomwireAct(address: RoomAddress, request: ActionRequest): Promise<ActionOutcome> {
    if (!Object.hasOwn(this.rooms, address.type)) return { ok: false, code: "unknown_room", message: `No room type "${address.type}" is served by this Worker.` };
    this.remember(address);
    return this.room().act(request);
  }

  private definitionOf(address: RoomAddress): AnyRoomDefinition {
    const definition = this.rooms[address.type];
    if (!definition) throw new Error(`Room type "${address.type}" is not served by this Worker any more.`);
    return definition;
  }

  private room(): RoomEngine<WebSocket | StreamSession> {
    if (this.engine) return this.engine;
    const row = this.ctx.storage.sql.exec<{ type: string; name: string }>("SELECT type, name FROM roomwire_room").toArray()[0];
    if (!row) throw new Error("This room object has no address yet: it is reached through the Worker's room routes first.");
    const definition = this.rooms[row.type];
    if (!definition) throw new Error(`Room type "${row.type}" is not served by this Worker any more.`);
    this.engine = new RoomEngine(definition, { type: row.type, name: row.name }, this.ports());
    return this.engine;
  }

  private remember(address: RoomAddress): void {
    if (this.engine) return;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO roomwire_room (id, type, name) VALUES (1, ?, ?)", address.type, address.name);
  }

  private ports(): RoomPorts<WebSocket | StreamSession> {
    const { ctx } = this;
    const storage = ctx.storage;
    return {
      others: { reach: this.reach, rooms: this.rooms },
      sockets: withSessions<WebSocket>(
        {
          sockets: (tag) => ctx.getWebSockets(tag),
          send: (ws, frame): SendStatus => {
            try {
              ws.send(frame);
              return "sent";
            } catch {
              return "dropped";
            }
          },
          close: (ws, code, reason) => {
            try {
              ws.close(code, reason);
            } catch {
              // already closed
            }
          },
          attachment: (ws) => ws.deserializeAttachment() as Attachment,
          setAttachment: (ws, attachment) => ws.serializeAttachment(attachment),
        },
        (tag) => this.sessions.inRoom(OWN_ROOM, tag),
      ),
      storage: {
        get: (key) => storage.get<string>(key),
        // One SQLite transaction; the object's output gate also holds every frame until it is durable.
        commit: async (puts, deletes) =>
          storage.transactionSync(() => {
            for (const [key, value] of puts) storage.kv.put(key, value);
            for (const key of deletes) storage.kv.delete(key);
          }),
        list: async (options) => [...(await storage.list<string>(options)).entries()],
      },
      alarm: {
        set: (at) => storage.setAlarm(at),
        get: () => storage.getAlarm(),
        delete: () => storage.deleteAlarm(),
      },
    };
  }

  /**
   * Drops sockets silent past the idle timeout, judged by the runtime's last
   * auto-answered ping and the last message seen. Runs from events, never a
   * timer, so it does not keep the object awake.
   */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const ws of this.ctx.getWebSockets()) {
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      // Messages before a hibernation are not remembered; waking up counts as activity instead.
      const active = Math.max(pinged, this.lastMessage.get(ws) ?? this.started);
      if (now - active > this.idleTimeoutSeconds * 1000) {
        try {
          ws.close(1001, "idle timeout");
        } catch {
          // already closed
        }
        this.room().close(ws, 1006, "idle timeout");
      }
    }
  }
}
