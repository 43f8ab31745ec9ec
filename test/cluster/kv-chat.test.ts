import { describe } from "vitest";
import { chatSpec } from "../conformance/chat-spec.ts";
import { useChatCluster } from "../support/chat-cluster.ts";

/**
 * The chat spec, unchanged, on three Deno processes coordinated through one
 * Deno KV database that they reach over KV Connect
 * (test/fixtures/kv-connect-server.deno.ts), as the instances of a Deno
 * Deploy app share theirs: `kv.watch` wakes a process for another's mail.
 * No Redis.
 */
describe("chat on three deno processes sharing Deno KV over KV Connect", () => chatSpec("kv-connect", useChatCluster(["deno", "deno", "deno"], { REDIS_URL: "" }, { kvConnect: true }), true));
