// Runs the chat app on local workerd: PORT, DATA_DIR and HOST as for the Bun and Deno entries.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const host = process.env.HOST ?? "127.0.0.1";
const port = process.env.PORT ?? "8787";
const dataDir = process.env.DATA_DIR ?? "./.data";

/** A free port for the inspector, so several local Workers can run side by side. */
const inspectorPort = await new Promise((resolve) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

// --test-scheduled: GET /__scheduled?cron=… runs the Worker's `scheduled` handler (wrangler dev never runs crons
// by itself). It takes only that path, so a Worker without crons is served as before.
const wrangler = spawn(
  `${root}node_modules/.bin/wrangler`,
  ["dev", "--ip", host, "--port", port, "--persist-to", dataDir, "--inspector-port", String(inspectorPort), "--show-interactive-dev-session=false", "--test-scheduled", ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit", env: { WRANGLER_SEND_METRICS: "false", ...process.env } },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
