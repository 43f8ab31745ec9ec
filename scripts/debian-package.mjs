// Installs a Debian package a test suite needs, when `find()` cannot find its program: on Debian as root with
// apt-get; anywhere else it says how to get it (`hint`) and exits, so `npm test` stops with one clear line.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Makes sure `find()` finds the program of Debian package `name`; `what` says what needs it, `variable` where to point at one. */
export function ensureDebianPackage({ name, find, what, variable }) {
  if (find()) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!existsSync("/etc/debian_version") || !root) {
    console.error(`${what} need ${name}: install it (Debian: \`apt-get install -y ${name}\`) or set ${variable} to its executable, then run npm test again.`);
    process.exit(1);
  }
  console.log(`Installing Debian's ${name} for ${what.toLowerCase()}…`);
  const apt = (args) => execFileSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  try {
    apt(["install", "-y", "--no-install-recommends", name]);
  } catch {
    // A fresh machine has no package lists yet.
    apt(["update"]);
    apt(["install", "-y", "--no-install-recommends", name]);
  }
  if (!find()) {
    console.error(`apt-get installed ${name} but its executable is still missing; set ${variable} to it.`);
    process.exit(1);
  }
}
