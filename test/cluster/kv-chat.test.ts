import { describe } from "vitest";
import { chatSpec } from "../conformance/chat-spec.ts";
import { useChatCluster } from "../support/chat-cluster.ts";

/**
 * The chat spec, unchanged, on three Deno processes coordinated through one
 * Deno KV database (the processes share DATA_DIR's rooms.kv): the cluster as
 * it runs on Deno Deploy, without Redis.
 */
describe("chat on three deno processes sharing Deno KV", () => chatSpec("kv-cluster", useChatCluster(["deno", "deno", "deno"], { KV_CLUSTER: "1", REDIS_URL: "" }), true));
