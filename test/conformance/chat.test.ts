import { describe } from "vitest";
import { useChatServer } from "../support/chat-server.ts";
import { chatSpec } from "./chat-spec.ts";
import { nodeCurrent } from "../support/runtimes.ts";
import { runtimes as everyRuntime } from "./runtimes.ts";

/** Every runtime, and Node's adapter on a current Node too. */
const runtimes = [...everyRuntime, { name: nodeCurrent.name, command: nodeCurrent.command(nodeCurrent.apps.chat), direct: true }];

/** The chat app's spec (chat-spec.ts), checked against a real server process per runtime. */
describe.each(runtimes)("chat on $name", (runtime) => chatSpec(runtime.name, useChatServer(runtime.command), runtime.name === "deno"));
