import { describe, expect, it } from 'vitest';
import { bollinger, initialRsi, rsiValue, updateRsi } from './indicators';

const rsiAfter = (period: number, prices: number[]) => prices.reduce(updateRsi, initialRsi(period));

describe('indicators', () => {
  it("seeds Wilder's RSI with simple averages, then smooths", () => {
    // changes +2, -1, +3: avg gain 5/3, avg loss 1/3, RS 5 -> RSI 100 - 100/6 = 83.33
    const seeded = rsiAfter(3, [10, 12, 11, 14]);
    expect(rsiValue(seeded)).toBeCloseTo(83.333, 3);
    // next change -2: gain (5/3 x 2 + 0)/3 = 10/9, loss (1/3 x 2 + 2)/3 = 8/9, RS 1.25 -> 55.56
    expect(rsiValue(updateRsi(seeded, 12))).toBeCloseTo(55.556, 3);
  });

  it('has no RSI before the period is seen, and 50 / 100 at the flat / only-gains extremes', () => {
    expect(rsiValue(rsiAfter(3, [10, 11, 12]))).toBeNull();
    expect(rsiValue(rsiAfter(2, [10, 10, 10]))).toBe(50);
    expect(rsiValue(rsiAfter(2, [10, 11, 12]))).toBe(100);
  });

  it('computes Bollinger bands with the population standard deviation', () => {
    // mean 5, deviations -3..3 -> variance (9 + 1 + 1 + 9) / 4 = 5
    const bands = bollinger([2, 4, 6, 8], 2);
    expect(bands.middle).toBe(5);
    expect(bands.upper).toBeCloseTo(5 + 2 * Math.sqrt(5), 10);
    expect(bands.lower).toBeCloseTo(5 - 2 * Math.sqrt(5), 10);
  });
});
