import type { FallbackLimits } from "../fallback/sessions.ts";
import { LocalRooms, type LocalSockets, type LocalStore } from "../local-rooms.ts";
import type { AnyRoomDefinition } from "../types.ts";
import { ClusterRooms } from "./cluster-rooms.ts";
import type { ClusterPort } from "./port.ts";

/** The `cluster` option of the long-running adapters (Bun, Deno, Node). */
export interface ClusterOption {
  /**
   * Share rooms with other processes: one owner per room, any process may
   * take any socket (no sticky sessions). Storage and alarms then live in
   * the cluster's store, and `dataDir` is not used. See `redisCluster`
   * (`@roomwire/roomwire/redis`).
   *
   * @example
   * const rooms = nodeRooms({ rooms: { chat }, cluster: redisCluster({ url: "redis://10.0.0.5:6379" }) });
   */
  cluster?: ClusterPort;
}

/**
 * The rooms of a long-running process, for adapters: shared through `cluster`
 * when given, this process's own (in `store()`) otherwise.
 *
 * @example
 * const rooms = processRooms(options.rooms, () => sqliteStore(db), sockets, options.fallback, options.cluster);
 */
export function processRooms<S extends object>(rooms: Record<string, AnyRoomDefinition>, store: () => LocalStore, sockets: LocalSockets<S>, fallback: FallbackLimits | undefined, cluster: ClusterPort | undefined): LocalRooms<S> {
  return cluster ? new ClusterRooms(rooms, cluster, sockets, fallback) : new LocalRooms(rooms, store(), sockets, fallback);
}
