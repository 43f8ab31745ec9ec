import { Sampler } from "../sampler.ts";
import type { ChatServer } from "../server.ts";

export interface Measured {
  rss: { before: number; peak: number; after: number };
  fdPeak: number;
  held: number;
  innerHeld: number;
  /** Notes on what was left: TCP states of the connections still held. */
  notes: string[];
}

/** The server's figures around an attack: RSS before, peak and after, descriptors, connections left behind. */
export class Measure {
  private readonly before: number;
  private readonly heldBefore: Map<string, string>;
  private readonly innerBefore: Map<string, string>;
  private readonly sampler: Sampler;
  private readonly outputFrom: number;

  constructor(
    private readonly server: ChatServer,
    sampleMs: number,
  ) {
    this.heldBefore = server.held();
    this.innerBefore = server.innerHeld();
    this.outputFrom = server.output().length;
    this.sampler = new Sampler(server, sampleMs);
    this.before = this.sampler.sample().rss;
  }

  /** Call once every client of the attack has gone: waits `settleMs`, then reads what is left. */
  async end(settleMs: number): Promise<Measured> {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    this.sampler.stop();
    const after = this.server.rss();
    // Only connections made during the attack: the harness's own /health fetch may still be kept alive.
    const fresh = (now: Map<string, string>, before: Map<string, string>) => [...now].filter(([inode]) => !before.has(inode)).map(([, state]) => state);
    const held = fresh(this.server.held(), this.heldBefore);
    const inner = fresh(this.server.innerHeld(), this.innerBefore);
    const states = (list: string[]) => [...new Set(list)].map((state) => `${list.filter((s) => s === state).length} ${state}`).join(", ");
    const split = [...this.sampler.peaks].map(([pid, peak]) => `${this.server.roles.get(pid)} ${peak.rss.toFixed(0)} MiB / ${peak.fds} fds`).join(", ");
    return {
      rss: { before: this.before, peak: this.sampler.peakRss, after },
      fdPeak: this.sampler.peakFds,
      held: held.length,
      innerHeld: inner.length,
      notes: [
        ...(this.server.roles.size > 0 ? [`peaks: ${split}`] : []),
        ...(held.length > 0 ? [`held: ${states(held)}`] : []),
        ...(inner.length > 0 ? [`the worker process behind the proxy holds ${states(inner)}`] : []),
        ...logged(this.server.output().slice(this.outputFrom)),
      ],
    };
  }

  /** Stops sampling without waiting (the attack failed). */
  abort(): void {
    this.sampler.stop();
  }
}

/** What the server logged during the attack that looks like trouble (errors, reloads, limits), a few distinct lines. */
function logged(output: string): string[] {
  const lines = output
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .filter((line) => /error|reload|overload|exceed|uncaught|panic|warn/i.test(line));
  if (lines.length === 0) return [];
  const distinct = [...new Set(lines.map((line) => line.trim().replace(/\s+/g, " ").slice(0, 160)))];
  return [`server log: ${lines.length} line${lines.length > 1 ? "s" : ""} about errors, reloads or limits, e.g. ${distinct.slice(0, 3).map((line) => JSON.stringify(line)).join(", ")}`];
}
