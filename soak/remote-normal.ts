// The attack's side of the normal client: starts normal-process.ts and folds its findings into the attack's tally.
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Settings } from "./settings.ts";
import type { Tally } from "./tally.ts";

const root = resolve(import.meta.dirname, "..");
type Peers = { id: string; user: string }[];

export class RemoteNormal {
  private latencies: number[] = [];
  private readonly waiting: ((message: Record<string, any>) => void)[] = [];
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly tally: Tally,
    readonly user: string,
  ) {
    createInterface({ input: child.stdout! }).on("line", (line) => this.waiting.shift()?.(JSON.parse(line)));
    child.once("exit", (code) => {
      for (const resolve of this.waiting.splice(0)) resolve({ event: "error", message: `the normal client exited with ${code}` });
    });
  }

  /**
   * Joins `room` as `user`, asking `who` `settings.normalRate` times a second.
   * `members` matches every user who may appear in the room; any other is a leak.
   */
  static async join(wsUrl: string, room: string, members: RegExp, tally: Tally, settings: Settings, user = "normal"): Promise<RemoteNormal> {
    const job = { wsUrl, room, user, rate: settings.normalRate, timeoutMs: settings.answerTimeoutMs, members: members.source };
    const child = spawn(process.execPath, [resolve(root, "soak/normal-process.ts"), JSON.stringify(job)], { stdio: ["pipe", "pipe", "inherit"] });
    const normal = new RemoteNormal(child, tally, user);
    const ready = await normal.next();
    if (ready.event !== "ready") {
      child.kill("SIGKILL");
      throw new Error(`the normal client did not start: ${ready.message}`);
    }
    return normal;
  }

  /** The peers a `who` lists now. */
  async peers(): Promise<Peers> {
    this.child.stdin!.write("who\n");
    const answer = await this.next();
    if (answer.event !== "peers") throw new Error(`the normal client: ${answer.message}`);
    return answer.peers as Peers;
  }

  /** Stops it and counts what went wrong for it as the attack's wrong answers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.child.stdin!.write("stop\n");
    const done = await this.next();
    if (done.event !== "done") {
      this.tally.wrongOne("normal client", String(done.message));
      return;
    }
    this.latencies = done.latencies;
    this.tally.leaks += done.leaks;
    for (const [kind, count] of Object.entries(done.wrong as Record<string, number>)) {
      const samples = (done.samples as string[]).filter((sample) => sample.startsWith(`${kind}: `));
      for (let i = 0; i < count; i++) this.tally.wrongOne(kind, samples[i]?.slice(kind.length + 2) ?? "(as above)");
    }
  }

  /** Ends the process at once (after a failure). */
  kill(): void {
    this.stopped = true;
    this.child.kill("SIGKILL");
  }

  p99(): number | null {
    if (this.latencies.length === 0) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
  }

  private next(): Promise<Record<string, any>> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
