import { readFileSync } from "node:fs";
import { openFileLimit } from "../../src/index.ts";

/** (Bun, Node) The process's open-file soft limit where it can be read (Linux `/proc/self/limits`), else `undefined`. */
export function procOpenFileLimit(): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return openFileLimit(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    return undefined;
  }
}
