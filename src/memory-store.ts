import type { LocalStore } from "./local-rooms.ts";
import { memoryStorage } from "./memory-storage.ts";
import type { StoragePort } from "./ports.ts";

/**
 * Every room's storage and alarm in this process's memory: the `LocalStore`
 * of a long-running process that needs no database (development, tests, a
 * runtime without one). Everything is gone when the process ends. For one
 * room's storage alone, see `memoryStorage`.
 *
 * @example
 * const rooms = new LocalRooms(definitions, memoryStore(), sockets);
 */
export function memoryStore(): LocalStore {
  const maps = new Map<string, Map<string, string>>();
  const alarms = new Map<string, number>();
  return {
    storage(room: string): StoragePort {
      // A room's map exists while it holds keys, so rooms that come and go leave nothing behind.
      const read = () => memoryStorage(maps.get(room) ?? new Map());
      return {
        get: (key) => read().get(key),
        list: (options) => read().list(options),
        async commit(puts, deletes) {
          let map = maps.get(room);
          if (!map) maps.set(room, (map = new Map()));
          for (const [key, value] of puts) map.set(key, value);
          for (const key of deletes) map.delete(key);
          if (map.size === 0) maps.delete(room);
        },
      };
    },
    setAlarm: (room, at) => void alarms.set(room, at),
    getAlarm: (room) => alarms.get(room) ?? null,
    deleteAlarm: (room) => void alarms.delete(room),
    alarms: () => [...alarms].map(([room, at]) => ({ room, at })),
  };
}
