import { resolve } from "node:path";
import { ensureNodeCurrent, NODE_CURRENT_VERSION } from "../../scripts/node-current.mjs";
import { descendants } from "../../soak/proc.ts";

/**
 * The one place that knows how to start a server on each runtime: the tests,
 * the browser tests and the bench all start their servers through it. Every
 * entry reads PORT, DATA_DIR and HOST from its environment and answers
 * `GET /health` once it serves (test/support/server.ts waits for that).
 * A new runtime is one more entry in `ALL`.
 */

const root = resolve(import.meta.dirname, "../..");
const bin = (name: string) => resolve(root, "node_modules/.bin", name);
const example = (path: string) => resolve(root, "examples", path);
const fixture = (name: string) => resolve(root, "test/fixtures", name);

/**
 * Node, which runs wrangler, Miniflare and the Node adapter's servers: this
 * process's own under Node (vitest); under Bun (the bench) `node` on PATH,
 * or $BENCH_NODE.
 */
export const nodeBin = process.versions.bun ? (process.env.BENCH_NODE ?? "node") : process.execPath;

/** The apps every runtime serves, each from an entry of its own. */
export type App =
  /** examples/chat */
  | "chat"
  /** examples/dashboard */
  | "dashboard"
  /** test/fixtures/storage-server.*: the storage, socket, flood and ledger rooms on the runtime's real store */
  | "storage"
  /** test/fixtures/fragile-server.*: the fragile room, on a store that refuses any commit writing the key "poison" */
  | "fragile"
  /** test/fixtures/handles-server.*: rooms reached from server code through room handles */
  | "handles"
  /** examples/inbox: per-user rooms fed by a backend's push */
  | "inbox"
  /** examples/cursors: live cursors and members of a shared canvas (presence) */
  | "cursors";

/** How to run an entry, beyond PORT, DATA_DIR and HOST. */
export interface LaunchOptions {
  /** Arguments after the entry (a bench server's variant). */
  args?: string[];
  /** The server may force a full garbage collection (`gc()`): Deno and Node get --expose-gc. Bun always may; on workerd it goes through the inspector. */
  gc?: boolean;
  /** Deno: this config file in place of the root deno.json (test/fixtures/deno.no-kv.jsonc: a process without Deno KV). */
  denoConfig?: string;
  /** Deno: these permissions in place of -A. */
  denoPermissions?: string[];
}

export interface Runtime {
  name: string;
  /** Its entry of each app: a script, or on workerd the app's wrangler config. */
  apps: Record<App, string>;
  /** The command that runs `entry` as a server process. */
  command(entry: string, options?: LaunchOptions): string[];
  /**
   * The started process is the server itself, store and all, so a SIGKILL
   * to it is a crash of the server. Not on workerd, where wrangler (or
   * Miniflare) runs workerd below it.
   */
  direct: boolean;
  /** The process whose memory and CPU time are the server's, below (or at) the started process `pid`. */
  serverProcess(pid: number): number;
}

const bun: Runtime = {
  name: "bun",
  apps: { chat: example("chat/bun.ts"), dashboard: example("dashboard/bun.ts"), storage: fixture("storage-server.bun.ts"), fragile: fixture("fragile-server.bun.ts"), handles: fixture("handles-server.bun.ts"), inbox: example("inbox/bun.ts"), cursors: example("cursors/bun.ts") },
  command: (entry, { args = [] } = {}) => [bin("bun"), entry, ...args],
  direct: true,
  serverProcess: (pid) => pid,
};

const deno: Runtime = {
  name: "deno",
  apps: { chat: example("chat/deno.ts"), dashboard: example("dashboard/deno.ts"), storage: fixture("storage-server.deno.ts"), fragile: fixture("fragile-server.deno.ts"), handles: fixture("handles-server.deno.ts"), inbox: example("inbox/deno.ts"), cursors: example("cursors/deno.ts") },
  // --cached-only: everything is in node_modules (deno.json's "nodeModulesDir": "manual"); a test never downloads.
  command: (entry, { args = [], gc, denoConfig, denoPermissions = ["-A"] } = {}) => [
    bin("deno"),
    "run",
    ...(denoConfig ? ["--config", denoConfig] : []),
    ...denoPermissions,
    "--cached-only",
    ...(gc ? ["--v8-flags=--expose-gc"] : []),
    entry,
    ...args,
  ],
  direct: true,
  serverProcess: (pid) => pid,
};

const workerd: Runtime = {
  name: "workerd",
  // The chat app is the root wrangler.toml.
  apps: { chat: resolve(root, "wrangler.toml"), dashboard: example("dashboard/wrangler.toml"), storage: fixture("wrangler.storage.toml"), fragile: fixture("wrangler.fragile.toml"), handles: fixture("wrangler.handles.toml"), inbox: example("inbox/wrangler.toml"), cursors: example("cursors/wrangler.toml") },
  // A wrangler config runs under `wrangler dev` (scripts/start-cloudflare.mjs); a script (the bench's Miniflare host) runs on Node.
  command: (entry, { args = [] } = {}) => {
    if (!entry.endsWith(".toml")) return [nodeBin, entry, ...args];
    const config = entry === resolve(root, "wrangler.toml") ? [] : ["-c", entry];
    return [nodeBin, resolve(root, "scripts/start-cloudflare.mjs"), ...config, ...args];
  },
  direct: false,
  serverProcess: (pid) => descendantNamed(pid, "workerd"),
};

const node: Runtime = {
  name: "node",
  apps: { chat: example("chat/node.ts"), dashboard: example("dashboard/node.ts"), storage: fixture("storage-server.node.ts"), fragile: fixture("fragile-server.node.ts"), handles: fixture("handles-server.node.ts"), inbox: example("inbox/node.ts"), cursors: example("cursors/node.ts") },
  // Node 20 runs TypeScript through tsx's loader, in the same process.
  command: (entry, { args = [], gc } = {}) => [nodeBin, "--import", "tsx", ...(gc ? ["--expose-gc"] : []), entry, ...args],
  direct: true,
  serverProcess: (pid) => pid,
};

/** Every runtime, in the order the suites run them. */
const ALL: Runtime[] = [bun, deno, workerd, node];

/**
 * Node's adapter on a current Node (unpacked from the npm registry by
 * scripts/node-current.mjs, beside the Node that runs the tests): the chat
 * conformance suite runs on both.
 */
export const nodeCurrent: Runtime = {
  ...node,
  name: `node-${NODE_CURRENT_VERSION}`,
  command: (entry, { args = [], gc } = {}) => [ensureNodeCurrent(), "--import", "tsx", ...(gc ? ["--expose-gc"] : []), entry, ...args],
};

export const runtimes: readonly Runtime[] = ALL;

/** The runtime called `name`. */
export function runtime(name: string): Runtime {
  const found = ALL.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`No runtime "${name}"; the runtimes are ${ALL.map((each) => each.name).join(", ")} (test/support/runtimes.ts).`);
  return found;
}

/** A server process to start: a runtime's name and its command. */
export interface ServerCommand {
  name: string;
  command: string[];
  /** As `Runtime.direct`. */
  direct: boolean;
}

/** `app` on every runtime: what the suites iterate over (`describe.each`). */
export function serversOf(app: App, options?: LaunchOptions): ServerCommand[] {
  return ALL.map((each) => ({ name: each.name, command: each.command(each.apps[app], options), direct: each.direct }));
}

/** The first process below `pid` (breadth first) whose command name is `name` (Linux /proc). */
export function descendantNamed(pid: number, name: string): number {
  const found = descendants(pid).find((process) => process.comm === name);
  if (!found) throw new Error(`no ${name} process under ${pid}`);
  return found.pid;
}
