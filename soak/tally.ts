/** Counts of one attack: frames sent and wrong answers by frame kind, with a few examples of each wrong answer. */
export class Tally {
  readonly sent = new Map<string, number>();
  readonly wrong = new Map<string, number>();
  readonly samples: string[] = [];
  /** Frames of another room's users seen by a connection (a subset of the wrong answers). */
  leaks = 0;
  /** `rate_limited` answers (documented, so not wrong) and the answers they excuse. */
  rateLimited = 0;
  excused = 0;
  /** Answers that came after they were counted missing (not counted twice). */
  late = 0;

  sentOne(kind: string): void {
    this.sent.set(kind, (this.sent.get(kind) ?? 0) + 1);
  }

  wrongOne(kind: string, what: string): void {
    const count = (this.wrong.get(kind) ?? 0) + 1;
    this.wrong.set(kind, count);
    // A few examples of every kind, not thousands of one.
    if (count <= 3 && this.samples.length < 60) this.samples.push(`${kind}: ${what}`);
  }

  leak(kind: string, what: string): void {
    this.leaks++;
    this.wrongOne(kind, `cross-room leak: ${what}`);
  }

  get framesSent(): number {
    let total = 0;
    for (const count of this.sent.values()) total += count;
    return total;
  }

  get wrongTotal(): number {
    let total = 0;
    for (const count of this.wrong.values()) total += count;
    return total;
  }
}

/** A frame cut short for a report line. */
export function clip(frame: unknown, max = 120): string {
  const text = typeof frame === "string" ? frame : frame instanceof Uint8Array || frame instanceof ArrayBuffer ? `<${(frame as ArrayBuffer).byteLength} binary bytes>` : JSON.stringify(frame);
  const shown = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return text.length > max ? `${shown} (${text.length} chars)` : shown;
}
