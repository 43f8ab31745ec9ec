import type { GenericSchema } from "valibot";
import { INTERNAL_PREFIX } from "./replay.ts";
export { PRESENCE_TYPE } from "./protocol.ts";
import type { Schedules } from "./schedules.ts";
import type { StagedStorage } from "./staged-storage.ts";
import type { RoomPresence } from "./types.ts";

/**
 * The `presence` option of a room definition: who is in the room as members
 * (a user with two tabs is one member), each with a state.
 *
 * @example
 * const canvas = defineRoom({
 *   upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user") ?? "anon" }),
 *   presence: { member: (data) => data.user, state: v.object({ x: v.number(), y: v.number() }), graceMs: 5_000 },
 * });
 */
export interface PresenceOptions<D = any, PS extends GenericSchema | undefined = GenericSchema | undefined> {
  /** The member a connection belongs to, from its data (e.g. the user id): 1–256 characters. */
  member: (data: D) => string;
  /**
   * Schema of a member's state. With it, clients set their own state with
   * the `presence` event (validated, rate-limited like any frame); without
   * it, only server code sets state (`room.presence.set`).
   */
  state?: PS;
  /** How long a member whose last connection went stays listed, so a reload sends no leave. Default 5,000 ms; 0 for none. */
  graceMs?: number;
  /**
   * Above this many members the room stops sending each join, leave and
   * state change to everyone (n² frames as n members come and go) and sends
   * the member count instead, at most once per `countEveryMs`. Default 100; `Infinity` for never.
   */
  bigRoom?: number;
  /** In a big room, the least time between two count frames. Default 1,000 ms. */
  countEveryMs?: number;
}

/** One member as `room.presence.members()` and the client's snapshot list it. */
export interface PresenceMember<State = unknown> {
  member: string;
  state: State | null;
}

/** What the room sends in `presence` frames. */
export type PresenceFrame<State = unknown> =
  /** To a joining connection: every member and their state (in a big room only the count). */
  | { kind: "snapshot"; count: number; members?: PresenceMember<State>[] }
  | { kind: "join"; member: string; state: State | null }
  | { kind: "leave"; member: string }
  | { kind: "state"; member: string; state: State | null }
  /** In a big room, in place of the diffs. */
  | { kind: "count"; count: number };

export const MAX_MEMBER_LENGTH = 256;

const PREFIX = `${INTERNAL_PREFIX}presence/`;
/** The schedule of grace periods and of the next count frame. */
const GRACE = "grace";
const COUNT = "count";

/** What is stored for a member with a state or in a grace period. */
interface Record {
  state?: unknown;
  /** When the member leaves for good unless one of their connections returns. */
  leavingAt?: number;
}

/** Defaults filled in. */
export type ResolvedPresence = Required<Omit<PresenceOptions, "state">> & { state?: GenericSchema };

export function resolvePresence(options: PresenceOptions): ResolvedPresence {
  return { graceMs: 5_000, bigRoom: 100, countEveryMs: 1_000, ...options };
}

/** The engine's side of presence: the connections' members, and how to send. */
export interface PresenceHost {
  /** The member of every listed connection (repeated per connection). */
  members(): Iterable<string>;
  broadcast(frame: PresenceFrame): void;
  now(): number;
}

/**
 * Presence of one room, rebuilt from what lasts: each connection's member is
 * in its attachment, each member's state and grace period in room storage,
 * the grace periods' wake-up in the room's schedules. Nothing here is kept
 * in memory between events.
 */
export class Presence {
  constructor(
    readonly options: ResolvedPresence,
    private readonly storage: StagedStorage,
    private readonly schedules: Schedules,
    private readonly host: PresenceHost,
  ) {}

  /** The member of a connection's data, checked. */
  memberOf(data: unknown): string {
    const member = this.options.member(data);
    if (typeof member !== "string" || member.length === 0 || member.length > MAX_MEMBER_LENGTH) {
      throw new TypeError(`presence.member() must return a string of 1–${MAX_MEMBER_LENGTH} characters; it returned ${JSON.stringify(member)}.`);
    }
    return member;
  }

  /**
   * A connection of `member` joined (it is listed already): it gets the
   * snapshot, and everyone a join when it is the member's first connection
   * and the member was not in a grace period.
   */
  async join(member: string, sendSnapshot: (frame: PresenceFrame) => void): Promise<void> {
    const record = await this.read(member);
    // Back within the grace period: no leave was sent, so no join either.
    if (record?.leavingAt !== undefined) await this.write(member, { state: record.state });
    sendSnapshot(await this.snapshot());
    if (record?.leavingAt === undefined && this.connectionsOf(member) === 1) {
      await this.changed({ kind: "join", member, state: (record?.state as never) ?? null });
    }
  }

  /** A connection of `member` ended (it is no longer listed): the member leaves now, or after the grace period. */
  async leave(member: string): Promise<void> {
    if (this.connectionsOf(member) > 0) return;
    const record = await this.read(member);
    if (record?.leavingAt !== undefined) return;
    if (this.options.graceMs <= 0) return this.gone(member);
    const leavingAt = this.host.now() + this.options.graceMs;
    await this.write(member, { state: record?.state, leavingAt });
    const next = await this.schedules.get("presence", GRACE);
    if (next === null || leavingAt < next) await this.schedules.set("presence", GRACE, leavingAt);
  }

  /** Sets a member's state (server code, or the member's own `presence` event) and tells everyone. */
  async set(member: string, state: unknown): Promise<void> {
    const record = await this.read(member);
    if (record === undefined && this.connectionsOf(member) === 0) {
      throw new TypeError(`"${member}" is not a member of this room: it has no connection here.`);
    }
    await this.write(member, { ...record, state });
    await this.changed({ kind: "state", member, state: state ?? null });
  }

  /** Every member and their state: those connected, and those in a grace period. */
  async members(): Promise<PresenceMember[]> {
    const stored = await this.all();
    const listed = new Set(this.host.members());
    for (const member of stored.keys()) listed.add(member);
    return [...listed].sort().map((member) => ({ member, state: (stored.get(member)?.state as unknown) ?? null }));
  }

  /** A presence schedule is due: grace periods that ended, or the next count frame. */
  async due(name: string): Promise<void> {
    if (name === COUNT) {
      this.host.broadcast({ kind: "count", count: (await this.members()).length });
      return;
    }
    const now = this.host.now();
    let next = Infinity;
    for (const [member, record] of await this.all()) {
      if (record.leavingAt === undefined) continue;
      if (record.leavingAt > now) next = Math.min(next, record.leavingAt);
      else if (this.connectionsOf(member) === 0) await this.gone(member);
      else await this.write(member, { state: record.state });
    }
    if (next < Infinity) await this.schedules.set("presence", GRACE, next);
  }

  private async gone(member: string): Promise<void> {
    await this.storage.delete(PREFIX + member);
    await this.changed({ kind: "leave", member });
  }

  /** Sends a diff, or in a big room arranges the next count frame instead. */
  private async changed(frame: PresenceFrame): Promise<void> {
    const count = (await this.members()).length;
    if (count <= this.options.bigRoom) return this.host.broadcast(frame);
    if ((await this.schedules.get("presence", COUNT)) === null) await this.schedules.set("presence", COUNT, this.host.now() + this.options.countEveryMs);
  }

  private async snapshot(): Promise<PresenceFrame> {
    const members = await this.members();
    if (members.length > this.options.bigRoom) return { kind: "snapshot", count: members.length };
    return { kind: "snapshot", count: members.length, members };
  }

  private connectionsOf(member: string): number {
    let count = 0;
    for (const each of this.host.members()) if (each === member) count++;
    return count;
  }

  private async read(member: string): Promise<Record | undefined> {
    const stored = await this.storage.get(PREFIX + member);
    return stored === undefined ? undefined : (JSON.parse(stored) as Record);
  }

  private async write(member: string, record: Record): Promise<void> {
    this.storage.put(PREFIX + member, JSON.stringify(record));
  }

  private async all(): Promise<Map<string, Record>> {
    const entries = await this.storage.list({ prefix: PREFIX });
    return new Map(entries.map(([key, value]) => [key.slice(PREFIX.length), JSON.parse(value) as Record]));
  }
}

/** `room.presence`: the room's members, or a clear error where the definition has no `presence`. */
export function roomPresence(presence: Presence | undefined): RoomPresence {
  return {
    members: () => (presence ? presence.members() : Promise.resolve([])),
    set: (member, state) => {
      if (!presence) return Promise.reject(new TypeError("This room has no presence: add the presence option to its definition."));
      return presence.set(member, state);
    },
  };
}
