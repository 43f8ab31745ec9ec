import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const bin = (name: string) => resolve(root, "node_modules/.bin", name);

/** A runtime the chat app runs on: how to start its entry as a real process. */
export interface Runtime {
  name: string;
  command: string[];
}

/** Every runtime the conformance suite runs against. A new adapter adds one line here. */
export const runtimes: Runtime[] = [
  { name: "bun", command: [bin("bun"), resolve(root, "examples/chat/bun.ts")] },
  { name: "deno", command: [bin("deno"), "run", "-A", "--cached-only", resolve(root, "examples/chat/deno.ts")] },
  { name: "workerd", command: [process.execPath, resolve(root, "scripts/start-cloudflare.mjs")] },
];
