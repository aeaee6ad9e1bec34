import { describe, expect, it } from 'vitest';
import { formatBytes, formatMs, formatRate, percentile, ratePerSecond, summarize } from './stats';

describe('percentile', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('interpolates between closest ranks', () => {
    expect(percentile(oneToHundred, 50)).toBeCloseTo(50.5, 10);
    expect(percentile(oneToHundred, 95)).toBeCloseTo(95.05, 10);
    expect(percentile(oneToHundred, 99)).toBeCloseTo(99.01, 10);
    expect(percentile([10, 20], 25)).toBeCloseTo(12.5, 10);
  });

  it('gives the extremes at 0 and 100 and the only value of one sample', () => {
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile([42], 99)).toBe(42);
  });

  it('does not depend on the order of the samples, nor reorder them', () => {
    const shuffled = [5, 1, 4, 2, 3];
    expect(percentile(shuffled, 50)).toBe(3);
    expect(shuffled).toEqual([5, 1, 4, 2, 3]);
  });

  it('is NaN without samples and refuses a percentile outside 0-100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/between 0 and 100/);
    expect(() => percentile([1], Number.NaN)).toThrow(/between 0 and 100/);
  });
});

describe('summarize', () => {
  it('reports count, extremes, mean and the usual percentiles', () => {
    const summary = summarize([4, 1, 3, 2]);
    expect(summary).toEqual({ count: 4, min: 1, p50: 2.5, p95: expect.closeTo(3.85, 10), p99: expect.closeTo(3.97, 10), max: 4, mean: 2.5 });
  });

  it('is all NaN but the count without samples', () => {
    const summary = summarize([]);
    expect(summary.count).toBe(0);
    expect(summary.p99).toBeNaN();
  });
});

describe('rates and formatting', () => {
  it('divides by seconds and guards an empty interval', () => {
    expect(ratePerSecond(20_000, 4_000)).toBe(5_000);
    expect(ratePerSecond(10, 0)).toBe(0);
  });

  it('prints readable figures', () => {
    expect(formatRate(12_345.6)).toBe('12,346/s');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(2_500)).toBe('2.50 s');
    expect(formatMs(Number.NaN)).toBe('n/a');
    expect(formatBytes(150 * 1024 * 1024)).toBe('150.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.00 GiB');
  });
});
