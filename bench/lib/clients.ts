// The load clients: bench/client.ts processes on Bun, driven over a line protocol.
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

const root = resolve(import.meta.dir, "../..");

/** A load client process (bench/client.ts) and its line protocol. */
export class Client {
  private readonly events: Record<string, unknown>[] = [];
  private waiting: ((event: Record<string, unknown>) => void) | undefined;
  private readonly child: ChildProcess;
  private stderr = "";

  constructor(job: object) {
    this.child = spawn(resolve(root, "node_modules/.bin/bun"), [resolve(root, "bench/client.ts"), JSON.stringify(job)], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr!.on("data", (chunk) => (this.stderr += chunk));
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.push(JSON.parse(line)));
    this.child.once("exit", (code) => this.push({ event: "error", message: `client exited with ${code}: ${this.stderr.slice(-2000)}` }));
  }

  private push(event: Record<string, unknown>): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(event);
    else this.events.push(event);
  }

  /** The next event; an error event from the client throws. */
  async next(timeoutMs = 120_000): Promise<Record<string, any>> {
    const event =
      this.events.shift() ??
      (await new Promise<Record<string, unknown>>((done, reject) => {
        const timer = setTimeout(() => reject(new Error(`a client sent nothing for ${timeoutMs} ms`)), timeoutMs);
        this.waiting = (event) => {
          clearTimeout(timer);
          done(event);
        };
      }));
    if (event.event === "error") throw new Error(String(event.message));
    return event;
  }

  send(command: object): void {
    this.child.stdin!.write(JSON.stringify(command) + "\n");
  }

  /** Closes its connections and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((done) => this.child.once("exit", () => done()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Spreads `count` names c<i> over `procs` client processes of one job kind, and waits until every connection is open and registered. */
export async function startClients(procs: number, count: number, job: Record<string, unknown>, prefix = "c"): Promise<Client[]> {
  const clients: Client[] = [];
  for (let p = 0; p < procs; p++) {
    const names: string[] = [];
    for (let i = p; i < count; i += procs) names.push(`${prefix}${i}`);
    if (names.length > 0) clients.push(new Client({ ...job, names }));
  }
  try {
    await Promise.all(clients.map((client) => client.next()));
  } catch (error) {
    await Promise.all(clients.map((client) => client.stop()));
    throw error;
  }
  return clients;
}
