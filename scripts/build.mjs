// Builds the npm package: JavaScript, declarations and declaration maps of every
// entry point into dist/ (tsconfig.build.json). The sources import each other
// with `.ts` extensions; the JavaScript gets `.js` from TypeScript itself, and
// the declarations are rewritten here so a consumer's tsc needs no special flag.
import { execFileSync } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");

await rm(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });

let files = 0;
for (const entry of await readdir(dist, { recursive: true })) {
  if (!entry.endsWith(".d.ts")) continue;
  const path = join(dist, entry);
  const text = await readFile(path, "utf8");
  // Only relative specifiers: `from "./x.ts"` and `import("../y.ts")`.
  const rewritten = text.replace(/(["'])(\.{1,2}\/[^"']*?)\.ts\1/g, "$1$2.js$1");
  if (rewritten !== text) await writeFile(path, rewritten);
  files++;
}
console.log(`built dist/ (${files} declaration files)`);
