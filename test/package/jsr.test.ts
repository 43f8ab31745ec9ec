import { execFile } from "node:child_process";
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
    const files = ["src/index.ts", "src/testing/index.ts", "adapters/deno/index.ts", "examples/chat/deno.ts", "test/fixtures/storage-server.deno.ts"];
    const { code, output } = await run(["check", "--deny-import", ...files]);
    expect(code, output).toBe(0);
  }, 60_000);

  it("passes deno publish --dry-run", async () => {
    const { code, output } = await run(["publish", "--dry-run", "--allow-dirty"]);
    expect(code, output).toBe(0);
    expect(output).toContain("Dry run complete");
  }, 60_000);
});
