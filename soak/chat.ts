// What the chat app documents (README, "The chat app" and "Limits"): the answers the soak expects.

/** Frames over this many bytes close the connection with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** `say` text: 1–2000 characters (UTF-16 code units, as valibot counts). */
export const MAX_TEXT = 2000;
/** History kept, and the largest `history` limit. */
export const KEPT = 200;
/** The default rate limit: a burst of 100 frames, refilled at 50 per second. */
export const RATE_BURST = 100;
export const RATE_PER_SECOND = 50;

export const CLOSE_TOO_BIG = 1009;
export const CLOSE_SLOW_CONSUMER = 1013;

export const RESERVED_TYPES = ["reply", "error", "resume", "resync"] as const;

/** The WebSocket path of chat room `room` for `user`. */
export const chatPath = (room: string, user: string) => `/rooms/chat/${room}?user=${user}`;
