import { openFileLimit } from "../../src/index.ts";

const PROC_LIMITS = "/proc/self/limits";

/**
 * The process's open-file soft limit, where Deno lets it be read: on Linux,
 * and only with `--allow-all` (Deno guards `/proc/self` even from
 * `--allow-read`). Otherwise `undefined`, and the connection cap takes its
 * fixed default.
 */
export function denoOpenFileLimit(): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    // Asking first keeps Deno from prompting for a permission the app did not grant.
    if (Deno.permissions.querySync({ name: "read", path: PROC_LIMITS }).state !== "granted") return undefined;
    return openFileLimit(Deno.readTextFileSync(PROC_LIMITS));
  } catch {
    return undefined;
  }
}
