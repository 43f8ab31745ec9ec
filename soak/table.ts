import type { AttackResult } from "./attacks/result.ts";

const HEADER = ["runtime", "attack", "frames sent", "wrong answers", "RSS MiB before / peak / after", "held at end", "1013 closes", "normal p99 ms", "fds peak", "notes"];
const RIGHT = new Set([2, 3, 5, 6, 7, 8]);

const mb = (value: number) => value.toFixed(1);
const count = (value: number) => value.toLocaleString("en-US");

function cells(row: AttackResult): string[] {
  const ghosts = row.ghosts === undefined ? [] : [`ghosts ${row.ghosts}`];
  const leaks = row.attack === "fuzz" ? [`cross-room leaks ${row.leaks}`] : [];
  const error = row.error ? [`ERROR: ${row.error}`] : [];
  return [
    row.runtime,
    row.attack,
    count(row.framesSent),
    count(row.wrong),
    `${mb(row.rss.before)} / ${mb(row.rss.peak)} / ${mb(row.rss.after)}`,
    count(row.held),
    count(row.slowCloses),
    row.p99Ms === null ? "–" : row.p99Ms.toFixed(1),
    count(row.fdPeak),
    [...error, ...leaks, ...ghosts, ...row.notes].join("; ").replaceAll("|", "\\|"),
  ];
}

/** The results as a Markdown table, columns padded so it also reads in a terminal. */
export function table(rows: AttackResult[]): string {
  const body = rows.map(cells);
  const widths = HEADER.map((title, i) => Math.max(title.length, ...body.map((line) => line[i]!.length)));
  const line = (values: string[]) => `| ${values.map((value, i) => (RIGHT.has(i) ? value.padStart(widths[i]!) : value.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((width, i) => (RIGHT.has(i) ? `${"-".repeat(width + 1)}:` : "-".repeat(width + 2))).join("|")}|`;
  return [line(HEADER), rule, ...body.map(line)].join("\n");
}

/** The wrong answers by runtime, attack and frame kind, with examples. */
export function findings(rows: AttackResult[]): string {
  const out: string[] = [];
  for (const row of rows) {
    if (row.wrong === 0 && !row.error) continue;
    const kinds = Object.entries(row.wrongByKind).map(([kind, n]) => `${kind} ×${n}`).join(", ");
    out.push(`- ${row.runtime} / ${row.attack}: ${row.wrong} wrong${kinds ? ` (${kinds})` : ""}${row.error ? `; ${row.error}` : ""}`);
    for (const sample of row.samples) out.push(`  - ${sample}`);
  }
  return out.length > 0 ? out.join("\n") : "None: every frame got its documented answer.";
}
