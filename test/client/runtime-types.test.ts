import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { removeDir, tempDir } from "../support/server.ts";

/**
 * roomwire/client's types outside a DOM project: they must not need the DOM
 * lib, so a Node project with `lib: ["ES2022"]` and @types/node (whose own
 * WebSocket differs from the DOM's) can use it, with `ws` or with Node 22's
 * global, and Deno's own WebSocket fits too.
 */

const root = resolve(import.meta.dirname, "../..");

const base: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  allowImportingTsExtensions: true,
  isolatedModules: true,
  skipLibCheck: true,
};

/** Global types of the DOM lib that a runtime without it may lack or declare differently. */
const DOM_TYPES = new Set(["WebSocket", "MessageEvent", "CloseEvent", "Event", "EventTarget", "BinaryType", "Blob"]);

/** DOM type names that declaration text refers to (as a type, in `typeof`, or in `extends`/`implements`). */
function domTypesIn(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const name =
      ts.isTypeReferenceNode(node) ? node.typeName
      : ts.isTypeQueryNode(node) ? node.exprName
      : ts.isExpressionWithTypeArguments(node) ? node.expression
      : undefined;
    if (name && ts.isIdentifier(name) && DOM_TYPES.has(name.text)) found.push(name.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function format(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (name) => name, getCurrentDirectory: () => root, getNewLine: () => "\n" });
}

describe("roomwire/client in a Node project", () => {
  it("type-checks with lib ES2022 and @types/node: ws's class and Node 22's global WebSocket, without casts", () => {
    const program = ts.createProgram([resolve(root, "test/fixtures/node-client.ts")], {
      ...base,
      lib: ["lib.es2022.d.ts"],
      types: ["node"],
      noEmit: true,
    });
    expect(program.getCompilerOptions().lib).toEqual(["lib.es2022.d.ts"]);
    expect(format(ts.getPreEmitDiagnostics(program))).toBe("");
  }, 60_000);

  it("names no DOM type in its declarations", () => {
    const program = ts.createProgram([resolve(root, "src/client/index.ts")], {
      ...base,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      types: [],
      declaration: true,
      emitDeclarationOnly: true,
      rootDir: root,
      outDir: "/declarations",
    });
    const declarations = new Map<string, string>();
    const result = program.emit(undefined, (name, text) => declarations.set(name, text));
    expect(format(result.diagnostics)).toBe("");
    expect([...declarations.keys()]).toContain("/declarations/src/client/client.d.ts");
    const references = [...declarations].flatMap(([name, text]) => domTypesIn(name, text).map((type) => `${name}: ${type}`));
    expect(references).toEqual([]);
  }, 60_000);

  it("the declaration check sees a DOM type where one is named", () => {
    const text = "export declare const a: WebSocket; export type B = typeof WebSocket; export interface C extends EventTarget { on(e: MessageEvent): void }";
    expect(domTypesIn("sample.d.ts", text)).toEqual(["WebSocket", "WebSocket", "EventTarget", "MessageEvent"]);
  });
});

describe("roomwire/client on Deno", () => {
  /** An empty Deno cache, and remote imports denied: the check runs offline. */
  const denoDir = tempDir("roomwire-deno-dir-");
  afterAll(() => removeDir(denoDir));

  it("type-checks with Deno's own libs (no DOM): Deno's WebSocket and fetch, without casts", async () => {
    const args = ["check", "--config", "test/fixtures/deno.no-kv.jsonc", "--deny-import", "test/fixtures/deno-client.deno.ts"];
    const run = promisify(execFile)(resolve(root, "node_modules/.bin/deno"), args, { cwd: root, env: { ...process.env, DENO_DIR: denoDir, NO_COLOR: "1" } });
    const output = await run.then(
      () => "",
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}` || "deno check failed",
    );
    expect(output).toBe("");
  }, 60_000);
});
