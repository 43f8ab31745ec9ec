export { connect, RoomClient, ClientError, type ClientOptions, type ClientStatus, type StatusEvent, type RequestOptions, type ClientErrorCode } from "./client.ts";
export type { WebSocketConstructor, ClientSocket, SocketMessageEvent, SocketCloseEvent, FetchLike } from "./socket.ts";
export { backoffDelay, DEFAULT_BACKOFF, type Backoff } from "./backoff.ts";
export type { ClientEvents, ClientRequests, ClientEmits, ClientPresence, ClientPresenceInput } from "./types.ts";
export { PresenceStore } from "./presence.ts";
