import type { Tally } from "../tally.ts";

/** One row of the table: one attack on one runtime. */
export interface AttackResult {
  runtime: string;
  attack: string;
  framesSent: number;
  /** Answers other than the documented one, or none in time (the normal client's included). */
  wrong: number;
  /** Server RSS, MiB. */
  rss: { before: number; peak: number; after: number };
  /** Connections the server still held after every client of the attack had gone. */
  held: number;
  /** Connections closed with 1013 (slow consumer). */
  slowCloses: number;
  /** p99 of the normal client's `who` round trip during the attack, ms. */
  p99Ms: number | null;
  /** Peak count of the server's open descriptors. */
  fdPeak: number;
  leaks: number;
  /** Churn: peers `who` still listed that were gone. */
  ghosts?: number;
  /** Paused reader and amplification: what the readers got once they read again, and how their connections ended ("open", "closed 1013" …). */
  answers?: { history: number; rateLimited: number; ends: Record<string, number> };
  notes: string[];
  sentByKind: Record<string, number>;
  wrongByKind: Record<string, number>;
  samples: string[];
  seconds: number;
  /** The attack could not run to its end (the row's figures are partial). */
  error?: string;
}

/** The answer-related fields of a result, from an attack's tally. */
export function fromTally(tally: Tally): Pick<AttackResult, "framesSent" | "wrong" | "leaks" | "sentByKind" | "wrongByKind" | "samples"> {
  return {
    framesSent: tally.framesSent,
    wrong: tally.wrongTotal,
    leaks: tally.leaks,
    sentByKind: Object.fromEntries(tally.sent),
    wrongByKind: Object.fromEntries(tally.wrong),
    samples: tally.samples,
  };
}
