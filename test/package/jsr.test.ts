import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { removeDir, tempDir } from "../support/server.ts";

const root = resolve(import.meta.dirname, "../..");
const deno = resolve(root, "node_modules/.bin/deno");
/** An empty Deno cache, and remote imports denied: the package must check without downloading anything. */
const denoDir = tempDir("roomwire-deno-dir-");

async function run(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(deno, args, { cwd: root, env: { ...process.env, DENO_DIR: denoDir, NO_COLOR: "1" } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

/** The package as Deno sees it (deno.json), checked offline. */
describe("the Deno package", () => {
  afterAll(() => removeDir(denoDir));

  it("type-checks the public entry points and the Deno-only files with deno check", async () => {
    const files = ["src/index.ts", "src/client/index.ts", "src/testing/index.ts", "adapters/deno/index.ts", "adapters/cloudflare/index.ts", "adapters/redis/index.ts", "examples/chat/deno.ts", "examples/dashboard/deno.ts", "examples/inbox/deno.ts", "test/fixtures/storage-server.deno.ts", "test/fixtures/handles-server.deno.ts", "test/fixtures/cluster-server.deno.ts", "test/fixtures/kv-connect-server.deno.ts"];
    const { code, output } = await run(["check", "--deny-import", ...files]);
    expect(code, output).toBe(0);
  }, 60_000);

  it("passes deno publish --dry-run with no slow types, listing every entry point", async () => {
    const { code, output } = await run(["publish", "--dry-run", "--allow-dirty"]);
    expect(code, output).toBe(0);
    expect(output).toContain("Checking for slow types in the public API");
    // The check ran ("Checking for slow types…") and reported nothing.
    expect(output).not.toMatch(/error\[|warning|contains errors for slow types/i);
    expect(output).toContain("Dry run complete");
    const config = JSON.parse(readFileSync(resolve(root, "deno.json"), "utf8")) as { exports: Record<string, string> };
    const npm = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    // The same entry points on JSR and npm.
    expect(Object.keys(config.exports).sort()).toEqual(Object.keys(npm.exports).filter((key) => key !== "./package.json").sort());
    for (const file of Object.values(config.exports)) expect(output).toContain(file.replace(/^\.\//, ""));
    expect(output).not.toMatch(/\btest\//);
  }, 60_000);
});
