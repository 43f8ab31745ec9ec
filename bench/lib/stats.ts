// Medians and scatter: every figure in the report is a median of runs.

export const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Half the interquartile range over the median: how far the runs scatter, ±. */
export const spread = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 2) return Number.NaN;
  const at = (q: number) => {
    const i = q * (sorted.length - 1);
    const lo = Math.floor(i);
    return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (i - lo);
  };
  return (at(0.75) - at(0.25)) / 2 / median(sorted);
};

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** A list in a different order for each pass, so none of its items always goes first (or last). */
export const rotate = <T>(list: readonly T[], pass: number): T[] => list.map((_, i) => list[(i + pass) % list.length]!);
