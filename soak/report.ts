// soak/RESULTS.md: when, on what, with which settings, the table and the wrong answers.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import type { AttackResult } from "./attacks/result.ts";
import { KEPT } from "./chat.ts";
import type { Settings } from "./settings.ts";
import { findings, table } from "./table.ts";

const root = resolve(import.meta.dirname, "..");

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", timeout: 10_000 }).split("\n")[0]!.trim();
  } catch {
    return "unknown";
  }
}

const packageVersion = (name: string) => (JSON.parse(readFileSync(resolve(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

export function versions(): Record<string, string> {
  return {
    bun: Bun.version,
    deno: version(resolve(root, "node_modules/.bin/deno"), ["--version"]).replace(/^deno (\S+).*$/, "$1"),
    wrangler: packageVersion("wrangler"),
    workerd: version(resolve(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd"), ["--version"]).replace(/^workerd /, ""),
  };
}

/** The commit measured, and whether the server's code had changes not yet committed. */
export function revision(): string {
  const git = (...args: string[]) => version("git", ["-C", root, ...args]);
  const dirty = version("git", ["-C", root, "status", "--porcelain", "--", "src", "adapters", "examples"]);
  return `roomwire ${git("rev-parse", "--short", "HEAD")}${dirty && dirty !== "unknown" ? " with uncommitted changes in src/, adapters/ or examples/" : ""}`;
}

export function machine(): string {
  const cpus = os.cpus();
  const [one, five] = os.loadavg();
  return `${cpus.length} × ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, load average at the end ${one!.toFixed(2)} / ${five!.toFixed(2)} (1 / 5 min)`;
}

export function settingsLine(settings: Settings): string {
  const attacks = settings.attacks.join(", ");
  return [
    `seed ${settings.seed}${settings.quick ? ", --quick" : ""}; runtimes: ${settings.runtimes.join(", ")}; attacks: ${attacks}; ${settings.shared ? "one server process per runtime" : "a fresh server process per attack"}`,
    `fuzz: ${settings.frames.toLocaleString("en-US")} frames per runtime over ${settings.connections} connections (${settings.roomSize} to a room), at most ${settings.rate} frames/s and ${settings.window} awaited answers per connection; an answer is missing after ${settings.answerTimeoutMs / 1000} s`,
    `paused reader / amplification: 1 / ${settings.amplification} readers, each asking for the full history (${KEPT} × ~2,000 characters) ${settings.pausedRate} times a second for ${settings.pausedSeconds} s without reading`,
    `churn: ${settings.cycles.toLocaleString("en-US")} connect/disconnect cycles, ${settings.churnConcurrency} at a time`,
    `normal client: \`who\` ${settings.normalRate} times a second; RSS and descriptors read every ${settings.sampleMs} ms; figures "after" ${settings.settleMs / 1000} s after the attack's clients left`,
  ].join("\n- ");
}

/** The fuzz's frames by kind (one seed sends the same frames to every runtime). */
function kinds(rows: AttackResult[]): string {
  const fuzz = rows.find((row) => row.attack === "fuzz" && row.framesSent > 0);
  if (!fuzz) return "";
  const list = Object.entries(fuzz.sentByKind)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, n]) => `${kind} ${n.toLocaleString("en-US")}`)
    .join(" · ");
  return `## Fuzz frames by kind\n\nPer runtime (${fuzz.runtime} shown; the seed makes them the same everywhere; see soak/frames.ts): ${list}.\n`;
}

/** `revision` is read when the run starts: the tree may change while it runs. */
export function writeReport(path: string, rows: AttackResult[], settings: Settings, startedAt: Date, seconds: number, revisionAtStart: string): void {
  const v = versions();
  const text = `# roomwire soak results

\`npm run soak${settings.quick ? " -- --quick" : ""}\` on ${startedAt.toISOString().slice(0, 19).replace("T", " ")} UTC, ${(seconds / 60).toFixed(1)} minutes.

- ${revisionAtStart} · Bun ${v.bun} · Deno ${v.deno} · wrangler ${v.wrangler} with workerd ${v.workerd}
- ${machine()}
- ${settingsLine(settings)}

${table(rows)}

## Wrong answers and failed bounds

${findings(rows)}

${kinds(rows)}
## How each column is measured

- **frames sent**: WebSocket data frames the attack's clients sent (churn: the frames its cycles sent before leaving).
- **wrong answers**: answers other than the documented one (error code, reply, \`said\`, \`pong\`, close code), answers to nothing, frames naming users of another room, and frames that got no answer in time; the normal client's failed or missing replies count too. A \`rate_limited\` answer is documented, so it is not wrong.
- **RSS**: resident memory (MiB) of the server process (workerd: the sum of wrangler's two workerd processes, its proxy and the worker), read from /proc before the attack's clients connect, at its peak, and after they left. No garbage collection is forced.
- **held at end**: TCP connections the server accepted during the attack and still holds (any state but LISTEN, CLOSE_WAIT included) after every client left; for workerd, on the public port (the proxy).
- **1013 closes**: connections the server closed with 1013 (slow consumer).
- **normal p99**: a well-behaved client, in a process of its own, in the attacked room (fuzz: a room of its own) sends \`who\` ${settings.normalRate} times a second; the 99th percentile of its round trips during the attack.
- **fds peak**: the most entries /proc/<pid>/fd had during the attack (workerd: both processes).
`;
  writeFileSync(path, text);
}
