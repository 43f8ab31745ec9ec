export { connect, RoomClient, ClientError, type ClientOptions, type ClientStatus, type StatusEvent, type RequestOptions, type ClientErrorCode, type WebSocketConstructor } from "./client.ts";
export { backoffDelay, DEFAULT_BACKOFF, type Backoff } from "./backoff.ts";
export type { ClientEvents, ClientRequests, ClientEmits } from "./types.ts";
