/** Summary statistics for the benchmark (pure TypeScript). */

export interface Stat {
  n: number;
  median: number;
  /** Interquartile range bounds (linear interpolation between order statistics). */
  q1: number;
  q3: number;
  min: number;
  max: number;
}

function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 1) return sorted[0]!;
  const x = p * (sorted.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

export function summarize(values: readonly number[]): Stat | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return {
    n: v.length,
    median: quantile(v, 0.5),
    q1: quantile(v, 0.25),
    q3: quantile(v, 0.75),
    min: v[0]!,
    max: v[v.length - 1]!,
  };
}

/** Least-squares slope of log(y) against log(x): the growth exponent (2 for time ∝ L²). */
export function logLogSlope(points: ReadonlyArray<{ x: number; y: number }>): number | null {
  const p = points.filter((q) => q.x > 0 && q.y > 0);
  if (p.length < 2) return null;
  const xs = p.map((q) => Math.log(q.x));
  const ys = p.map((q) => Math.log(q.y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : null;
}

/** "12.3 ms", "812 µs", "4.56 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  if (ms < 10_000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
