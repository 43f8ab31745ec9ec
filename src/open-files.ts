/** The cap a long-running host uses when it cannot read the process's open-file limit. */
export const FALLBACK_CONNECTION_CAP = 4_000;

/** Descriptors kept out of the cap at least: storage files, the listener, plain HTTP, the runtime's own. */
const MIN_HEADROOM = 64;

/**
 * The open-file soft limit ("Max open files") in the text of Linux's
 * `/proc/self/limits`, or `undefined` when the text does not give one
 * (absent, unreadable, or "unlimited").
 */
export function openFileLimit(procSelfLimits: string | undefined): number | undefined {
  const soft = procSelfLimits?.match(/^Max open files\s+(\S+)/m)?.[1];
  const limit = Number(soft);
  return soft !== undefined && Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

/**
 * The default `maxProcessConnections` of a process whose open-file soft
 * limit is `limit`: the limit minus headroom of `max(64, limit / 8)`
 * descriptors (at least 1); `FALLBACK_CONNECTION_CAP` when the limit is
 * unknown.
 */
export function defaultConnectionCap(limit: number | undefined): number {
  if (limit === undefined) return FALLBACK_CONNECTION_CAP;
  return Math.max(1, limit - Math.max(MIN_HEADROOM, Math.ceil(limit / 8)));
}
