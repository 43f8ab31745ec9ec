export { testRoom, TestRoom, RefusedError, type TestRoomOptions } from "./test-room.ts";
export { TestConnection, ReplyError, type Received, type EventFrame, type ErrorFrame } from "./test-connection.ts";
