import type { PresenceFrame } from "../presence.ts";

/**
 * The members of the room as this client knows them: filled by the
 * snapshot every connection gets when it opens (so it is whole again after
 * each reconnect), then kept current by the room's joins, leaves and state
 * changes. In a big room the room sends only the count: `listed` is false.
 *
 * @example
 * client.presence.onChange(() => render([...client.presence.members]));
 * client.presence.set({ x: 10, y: 20 }); // this member's own state
 */
export class PresenceStore<State = unknown, Input = State> {
  /** Each member's key and state (null until one is set). */
  readonly members: Map<string, State | null> = new Map();
  /** How many members the room has. */
  count = 0;
  /** Whether `members` lists every member (false in a big room, where only `count` is kept). */
  listed = true;
  private readonly listeners = new Set<(store: PresenceStore<State, Input>) => void>();

  constructor(private readonly sendState: (state: Input) => boolean) {}

  /**
   * Sets this connection's member state (rooms whose presence has a `state`
   * schema). While offline only the latest state waits, and is sent once the
   * connection opens. Returns false once the client is closed.
   */
  set(state: Input): boolean {
    return this.sendState(state);
  }

  /** Calls `listener` after every change; returns a function that stops it. */
  onChange(listener: (store: PresenceStore<State, Input>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies a `presence` frame from the room. */
  apply(frame: PresenceFrame<State>): void {
    switch (frame.kind) {
      case "snapshot":
        this.members.clear();
        this.listed = frame.members !== undefined;
        for (const { member, state } of frame.members ?? []) this.members.set(member, state);
        this.count = frame.count;
        break;
      case "join":
      case "state":
        if (this.listed) this.members.set(frame.member, frame.state);
        this.count = this.listed ? this.members.size : this.count;
        break;
      case "leave":
        this.members.delete(frame.member);
        if (this.listed) this.count = this.members.size;
        break;
      case "count":
        this.count = frame.count;
        this.listed = false;
        this.members.clear();
        break;
      default:
        return;
    }
    for (const listener of this.listeners) listener(this);
  }
}
