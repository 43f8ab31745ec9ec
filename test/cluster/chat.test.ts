import { describe } from "vitest";
import { chatSpec } from "../conformance/chat-spec.ts";
import { useChatCluster } from "../support/chat-cluster.ts";

/** The chat spec, unchanged, on three processes sharing rooms through Redis: every connection and request lands on a random one. */
describe("chat on a cluster of bun, bun and deno", () => chatSpec("cluster", useChatCluster(["bun", "bun", "deno"]), true));
