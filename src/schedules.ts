import type { AlarmPort } from "./ports.ts";
import { INTERNAL_PREFIX } from "./replay.ts";
import type { StagedStorage } from "./staged-storage.ts";
import type { Room } from "./types.ts";

/** Who a schedule belongs to: the room's own code (`room.schedule`, `room.setAlarm`) or roomwire (presence). */
export type ScheduleOwner = "timer" | "alarm" | "presence";

const PREFIX = `${INTERNAL_PREFIX}schedule/`;
/** Set once a room's alarm is kept here: an alarm set before (straight on the runtime) still runs `alarm` when it rings. */
const KEPT_HERE = `${INTERNAL_PREFIX}schedules`;
const key = (owner: ScheduleOwner, name: string) => `${PREFIX}${owner}/${name}`;

/** A schedule that is due. */
export interface DueSchedule {
  owner: ScheduleOwner;
  name: string;
  at: number;
}

/** Longest schedule name, so its key stays far below the storage key limit. */
export const MAX_SCHEDULE_NAME = 256;

/**
 * Several named wake-ups of one room on its one runtime alarm (a Durable
 * Object has exactly one). Each is a key in room storage, written with the
 * turn that set it; the runtime alarm is moved to the earliest at once (a
 * wake-up with nothing due only re-arms), so they survive hibernation and
 * restarts like the rest of the room's state.
 */
export class Schedules {
  constructor(
    private readonly storage: StagedStorage,
    private readonly alarm: AlarmPort,
  ) {}

  async set(owner: ScheduleOwner, name: string, at: number): Promise<void> {
    this.storage.put(key(owner, name), String(at));
    this.storage.put(KEPT_HERE, "1");
    const current = await this.alarm.get();
    if (current === null || at < current) await this.alarm.set(at);
  }

  async cancel(owner: ScheduleOwner, name: string): Promise<void> {
    await this.storage.delete(key(owner, name));
  }

  async get(owner: ScheduleOwner, name: string): Promise<number | null> {
    const stored = await this.storage.get(key(owner, name));
    return stored === undefined ? null : Number(stored);
  }

  /** Every schedule due at `now`, earliest first; the runtime alarm having rung with none kept here means one set straight on it. */
  async due(now: number): Promise<DueSchedule[]> {
    const all = await this.all();
    if (all.length === 0 && (await this.storage.get(KEPT_HERE)) === undefined) return [{ owner: "alarm", name: "", at: now }];
    return all.filter((schedule) => schedule.at <= now).sort((a, b) => a.at - b.at);
  }

  /** Removes a schedule that ran (within the turn that ran it). */
  done(schedule: DueSchedule): void {
    if (schedule.owner === "alarm" && schedule.name === "") void this.storage.delete(key("alarm", ""));
    else void this.storage.delete(key(schedule.owner, schedule.name));
  }

  /** Points the runtime alarm at the earliest schedule left, or clears it. */
  async rearm(): Promise<void> {
    const all = await this.all();
    if (all.length === 0) return this.alarm.delete();
    await this.alarm.set(Math.min(...all.map((schedule) => schedule.at)));
  }

  private async all(): Promise<DueSchedule[]> {
    const entries = await this.storage.list({ prefix: PREFIX });
    return entries.map(([stored, at]) => {
      const rest = stored.slice(PREFIX.length);
      const slash = rest.indexOf("/");
      return { owner: rest.slice(0, slash) as ScheduleOwner, name: rest.slice(slash + 1), at: Number(at) };
    });
  }
}

/** The alarm and timer methods of `room`, on the room's schedules. */
export function roomTimers(schedules: Schedules): Pick<Room, "setAlarm" | "getAlarm" | "deleteAlarm" | "schedule" | "cancel" | "scheduled"> {
  const time = (at: number | Date) => (typeof at === "number" ? at : at.getTime());
  return {
    setAlarm: (at) => schedules.set("alarm", "", time(at)),
    getAlarm: () => schedules.get("alarm", ""),
    deleteAlarm: () => schedules.cancel("alarm", ""),
    schedule: (name, at) => {
      if (typeof name !== "string" || name.length === 0 || name.length > MAX_SCHEDULE_NAME) {
        return Promise.reject(new TypeError(`A schedule's name is a string of 1–${MAX_SCHEDULE_NAME} characters; got ${JSON.stringify(name)}.`));
      }
      return schedules.set("timer", name, time(at));
    },
    cancel: (name) => schedules.cancel("timer", name),
    scheduled: (name) => schedules.get("timer", name),
  };
}
