const ROOM_NAME = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * Whether `name` is a valid room name: 1–128 characters of `[A-Za-z0-9._~-]`,
 * except `.` and `..`, which URLs treat as path segments (clients and proxies
 * resolve them away before the request is sent).
 */
export function isRoomName(name: string): boolean {
  return ROOM_NAME.test(name) && name !== "." && name !== "..";
}
