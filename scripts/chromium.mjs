// Where the browser tests find Chromium: $CHROMIUM, Debian's /usr/bin/chromium,
// or a Chromium that Playwright installed. Never downloads one.
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Path of a Chromium executable, or undefined when there is none. */
export function findChromium() {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", ...playwrightChromiums()];
  return candidates.find((path) => path !== undefined && path !== "" && existsSync(path));
}

function playwrightChromiums() {
  const root = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), ".cache", "ms-playwright");
  let entries = [];
  try {
    entries = readdirSync(root).filter((name) => /^chromium-\d+$/.test(name)).sort().reverse();
  } catch {
    return [];
  }
  return entries.flatMap((dir) => [join(root, dir, "chrome-linux64", "chrome"), join(root, dir, "chrome-linux", "chrome")]);
}
