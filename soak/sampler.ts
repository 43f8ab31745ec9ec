import { fdCount, rssMiB } from "./proc.ts";
import type { ChatServer } from "./server.ts";

/** Reads the server's RSS and descriptor count every `everyMs` and keeps the peaks, in total and per process. */
export class Sampler {
  peakRss = 0;
  peakFds = 0;
  /** Per process: the peaks of RSS (MiB) and descriptors. */
  readonly peaks = new Map<number, { rss: number; fds: number }>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly server: ChatServer,
    everyMs: number,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): { rss: number; fds: number } {
    let rss = 0;
    let fds = 0;
    for (const pid of this.server.pids) {
      const one = { rss: rssMiB(pid), fds: fdCount(pid) };
      rss += one.rss;
      fds += one.fds;
      const peak = this.peaks.get(pid) ?? { rss: 0, fds: 0 };
      this.peaks.set(pid, { rss: Math.max(peak.rss, one.rss), fds: Math.max(peak.fds, one.fds) });
    }
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakFds = Math.max(this.peakFds, fds);
    return { rss, fds };
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}
