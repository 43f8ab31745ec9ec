import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The benchmark harness keeps working: `npm run bench -- --smoke` (tiny sizes, Bun, one run)
 * measures every server and writes its report. It checks that rows came out with numbers,
 * never what the numbers are: timings belong to `npm run bench`, not to tests.
 */
const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "roomwire-bench-"));
const VARIANTS = ["raw", "crossws", "hono", "roomwire", "roomwire-raw"];

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(resolve(root, "node_modules/.bin/bun"), ["bench/run.ts", "--smoke", "--out", join(dir, "RESULTS.md"), "--json", join(dir, "results.json")], { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => done({ code, stdout, stderr }));
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bench harness (smoke)", () => {
  it("measures every server on Bun and writes a report whose rows all have numbers", { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runSmoke();
    expect(code, stderr).toBe(0);

    const report = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    expect(report.settings.smoke).toBe(true);
    expect(report.machine.versions.bun).toMatch(/\d+\.\d+/);
    const rows = report.rows as Record<string, any>[];
    expect(rows.map((row) => row.variant)).toEqual(VARIANTS);
    for (const row of rows) {
      expect(row.runtime).toBe("bun");
      expect(row.errors).toEqual([]);
      for (const field of ["fanout", "fanoutRatio", "serverUs", "clientCpu", "p50", "p99", "p50Ratio", "p99Ratio"]) {
        expect(typeof row[field], `${row.variant}.${field}`).toBe("number");
        expect(Number.isFinite(row[field]), `${row.variant}.${field} = ${row[field]}`).toBe(true);
      }
      for (const n of report.settings.idle) {
        expect(Number.isFinite(row.mem[n]), `${row.variant} memory @${n}`).toBe(true);
        expect(Number.isFinite(row.heap[n]), `${row.variant} heap @${n}`).toBe(true);
      }
    }
    // Every fan-out round was counted exactly: each client got every message of every client.
    const { clients, messages } = report.settings;
    for (const row of report.raw as Record<string, any>[]) {
      expect(row.fanout.length).toBeGreaterThan(0);
      for (const round of row.fanout) expect(round.received).toBe(clients * clients * messages.bun);
    }

    // The table, printed and written, has the ratio columns against the raw server.
    expect(stdout).toContain("× raw");
    const markdown = readFileSync(join(dir, "RESULTS.md"), "utf8");
    for (const variant of VARIANTS) expect(markdown).toMatch(new RegExp(`\\| bun +\\| ${variant} +\\|`));
    expect(markdown).toContain("load average");
  });
});
