// The benchmark's arithmetic: percentiles of latency samples, rates, and how figures are printed.
// Pure functions, unit-tested in stats.test.ts.

/**
 * The p-th percentile (0-100) of the samples by linear interpolation between closest ranks (the
 * method of NumPy's default and of most spreadsheets). NaN for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (rank - lower);
}

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) {
    return { count: 0, min: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const value of samples) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  return {
    count: samples.length,
    min,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max,
    mean: sum / samples.length,
  };
}

/** Events per second; 0 when no time passed (nothing to divide by). */
export function ratePerSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? count / (elapsedMs / 1000) : 0;
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return 'n/a';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
}
