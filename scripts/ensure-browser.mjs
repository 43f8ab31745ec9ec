// Run before `npm test`: the browser tests need Chromium. On Debian as root it
// installs Debian's package; anywhere else it says how to get one and stops.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { findChromium } from "./chromium.mjs";

const found = findChromium();
if (found) process.exit(0);

const root = typeof process.getuid === "function" && process.getuid() === 0;
if (!existsSync("/etc/debian_version") || !root) {
  console.error("The browser tests need Chromium: install it (Debian: `apt-get install -y chromium`) or set CHROMIUM to its executable, then run npm test again.");
  process.exit(1);
}

console.log("Installing Debian's chromium for the browser tests…");
const apt = (args) => execFileSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
try {
  apt(["install", "-y", "--no-install-recommends", "chromium"]);
} catch {
  // A fresh machine has no package lists yet.
  apt(["update"]);
  apt(["install", "-y", "--no-install-recommends", "chromium"]);
}
if (!findChromium()) {
  console.error("apt-get installed chromium but /usr/bin/chromium is missing; set CHROMIUM to its executable.");
  process.exit(1);
}
