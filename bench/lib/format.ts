// How figures are written in the tables, and the tables themselves.

export const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
export const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : "n/a");
export const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a");
export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : n === Infinity ? "lost" : "n/a");
export const kib = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 1024).toFixed(2) : "n/a");
export const signedKib = (bytes: number) => (Number.isFinite(bytes) ? `${bytes >= 0 ? "+" : "−"}${Math.abs(bytes / 1024).toFixed(2)}` : "n/a");

/** A Markdown table, padded to line up in plain text: the first `textColumns` columns left-aligned, the figures right-aligned. */
export function markdownTable(header: string[], lines: string[][], textColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((cell, i) => (i < textColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  return [row(header), `| ${widths.map((w, i) => (i < textColumns ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`, ...lines.map(row)].join("\n");
}
