// Run before `npm test`: the Redis tests start their own redis-server. On Debian as root it
// installs Debian's package; anywhere else it says how to get one and stops.
import { execFileSync } from "node:child_process";
import { findRedis } from "./redis.mjs";

if (findRedis()) process.exit(0);

const root = typeof process.getuid === "function" && process.getuid() === 0;
let debian = false;
try {
  execFileSync("test", ["-f", "/etc/debian_version"]);
  debian = true;
} catch {
  // not Debian
}
if (!debian || !root) {
  console.error("The Redis tests need redis-server: install it (Debian: `apt-get install -y redis-server`) or set REDIS_SERVER to its executable, then run npm test again.");
  process.exit(1);
}

console.log("Installing Debian's redis-server for the Redis tests…");
const apt = (args) => execFileSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
try {
  apt(["install", "-y", "--no-install-recommends", "redis-server"]);
} catch {
  // A fresh machine has no package lists yet.
  apt(["update"]);
  apt(["install", "-y", "--no-install-recommends", "redis-server"]);
}
if (!findRedis()) {
  console.error("apt-get installed redis-server but /usr/bin/redis-server is missing; set REDIS_SERVER to its executable.");
  process.exit(1);
}
