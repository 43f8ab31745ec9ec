import { serversOf, type ServerCommand } from "../support/runtimes.ts";

/** A runtime the chat app runs on: how to start its entry as a real process (test/support/runtimes.ts). */
export type Runtime = ServerCommand;

/** Every runtime the conformance suite runs against: the chat example on each runtime of test/support/runtimes.ts. */
export const runtimes: Runtime[] = serversOf("chat");
