// The reliability suite's quick version (`npm run soak -- --quick`) on every runtime: it asserts
// answers and memory, never timings.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttackResult } from "../../soak/attacks/result.ts";
import { PAUSED_RSS_GROWTH_MIB } from "../../soak/bounds.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "roomwire-soak-"));
let rows: AttackResult[] = [];
let output = "";

beforeAll(async () => {
  const json = join(dir, "soak.json");
  const child = spawn(join(root, "node_modules/.bin/bun"), ["soak/run.ts", "--quick", "--out", join(dir, "soak.md"), "--json", json], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.on("close", done));
  rows = (JSON.parse(readFileSync(json, "utf8")) as { rows: AttackResult[] }).rows;
  if (code !== 0) console.error(output);
}, 480_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (runtime: string, attack: string): AttackResult => {
  const found = rows.find((row) => row.runtime === runtime && row.attack === attack);
  if (!found) throw new Error(`no ${runtime} / ${attack} row in the soak's output:\n${output.slice(-3000)}`);
  if (found.error) throw new Error(`${runtime} / ${attack} could not run: ${found.error}\n${output.slice(-3000)}`);
  return found;
};
const why = (result: AttackResult) => `${result.runtime} / ${result.attack}: ${result.notes.join("; ")}\n${result.samples.slice(0, 10).join("\n")}`;

describe.each(["bun", "deno", "workerd", "node"])("the quick soak on %s", (runtime) => {
  it("fuzz: every hostile frame got its documented answer, and no frame named a user of another room", () => {
    const fuzz = row(runtime, "fuzz");
    expect(fuzz.framesSent).toBeGreaterThanOrEqual(12_000);
    expect(fuzz.wrong, why(fuzz)).toBe(0);
    expect(fuzz.leaks, why(fuzz)).toBe(0);
  });

  it.each(["paused", "amplification"])("%s: the server's RSS grows less than the documented bound, and the readers are refused or closed as slow", (attack) => {
    const result = row(runtime, attack);
    expect(result.wrong, why(result)).toBe(0);
    expect(result.rss.peak - result.rss.before, why(result)).toBeLessThan(PAUSED_RSS_GROWTH_MIB);
    // Each reader asked ~120 times for ~400 KB: answered in full, it would have queued ~48 MB.
    const answers = result.answers!;
    const bounded = answers.rateLimited > 0 || result.slowCloses > 0 || Object.keys(answers.ends).some((end) => end !== "open");
    expect(bounded, why(result)).toBe(true);
    expect(answers.history, why(result)).toBeLessThan(result.framesSent / 2);
  });

  it("churn: no ghosts, every cycle answered, no connection held after the clients left", () => {
    const churn = row(runtime, "churn");
    expect(churn.wrong, why(churn)).toBe(0);
    expect(churn.ghosts ?? 0, why(churn)).toBe(0);
    expect(churn.held, why(churn)).toBe(0);
  });
});
