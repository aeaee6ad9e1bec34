import { describe, expect, it } from 'vitest';
import { paise } from '../money';
import { mulberry32, nextInt } from './rng';
import { offsetByBps, withinBps } from './prices';

describe('offsetByBps', () => {
  it('moves a price by basis points and snaps it to the tick size', () => {
    expect(offsetByBps(paise(250_000), 10, paise(5))).toBe(250_250); // exact
    expect(offsetByBps(paise(250_010), 10, paise(5))).toBe(250_260); // 250260.01 -> 250260
    expect(offsetByBps(paise(250_010), -10, paise(5))).toBe(249_760); // 249759.99 -> 249760
    // 100 x 1.0025 = 100.25 paise = 20.05 ticks of 5 -> 20 ticks = 100
    expect(offsetByBps(paise(100), 25, paise(5))).toBe(100);
    // exactly half a tick rounds away from zero: 1000 x 1.0025 = 1002.5 -> 1005
    expect(offsetByBps(paise(1_000), 25, paise(5))).toBe(1_005);
    expect(offsetByBps(paise(1_000), 0, paise(1))).toBe(1_000);
  });

  it('refuses fractional basis points and bad tick sizes', () => {
    expect(() => offsetByBps(paise(1_000), 2.5, paise(5))).toThrow(/basis points/);
    expect(() => offsetByBps(paise(1_000), 10, paise(0))).toThrow(/tick size/);
  });
});

describe('withinBps', () => {
  it('compares distances exactly at the boundary', () => {
    expect(withinBps(paise(252_500), paise(250_000), paise(250_000), 100)).toBe(true); // 100 bps
    expect(withinBps(paise(252_501), paise(250_000), paise(250_000), 100)).toBe(false);
    expect(withinBps(paise(247_500), paise(250_000), paise(250_000), 100)).toBe(true);
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed and resumes from a saved state', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const first = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(first);
    const resumed = mulberry32(a.state());
    expect(resumed.next()).toBe(a.next());
    expect(mulberry32(43).next()).not.toBe(first[0]);
  });

  it('draws in [0, 1) and integers within their bounds', () => {
    const rng = mulberry32(7);
    const draws = Array.from({ length: 1_000 }, () => nextInt(rng, 0, 3));
    expect(new Set(draws)).toEqual(new Set([0, 1, 2, 3]));
    for (let i = 0; i < 1_000; i += 1) {
      const value = rng.next();
      expect(value >= 0 && value < 1).toBe(true);
    }
    expect(() => nextInt(rng, 3, 2)).toThrow(RangeError);
    expect(() => mulberry32(1.5)).toThrow(RangeError);
  });
});
