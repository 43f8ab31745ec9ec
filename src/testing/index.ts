export { testRoom, TestRoom, RefusedError, type TestRoomOptions } from "./test-room.ts";
export { TestConnection, ReplyError, type Received } from "./test-connection.ts";
