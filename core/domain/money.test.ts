import { describe, expect, it } from 'vitest';
import {
  add,
  applyRate,
  basisPoints,
  formatRupees,
  max,
  min,
  MoneyError,
  negate,
  paise,
  roundToTick,
  rupees,
  subtract,
  times,
} from './money';

const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 9,007,199,254,740,991

describe('money: exact sums', () => {
  it('adds tenths of a rupee exactly where binary floats do not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(add(rupees('0.1'), rupees('0.2'))).toBe(rupees('0.3'));
    expect(add(rupees('0.1'), rupees('0.2'))).toBe(30);
    // ten times 10 paise is exactly one rupee
    expect(add(...Array.from({ length: 10 }, () => rupees('0.10')))).toBe(100);
    expect(subtract(rupees('0.3'), rupees('0.1'))).toBe(20);
    expect(negate(rupees('12.34'))).toBe(-1234);
  });

  it('multiplies a price by a whole quantity only', () => {
    expect(times(rupees('33.33'), 3)).toBe(9999);
    expect(() => times(rupees('1'), 1.5)).toThrow(MoneyError);
  });

  it('accepts only safe integers as paise', () => {
    expect(paise(0)).toBe(0);
    expect(() => paise(1.5)).toThrow(/safe integer/);
    expect(() => paise(MAX_SAFE + 1)).toThrow(MoneyError);
    expect(() => paise(Number.NaN)).toThrow(MoneyError);
    expect(() => add(paise(MAX_SAFE), paise(1))).toThrow(MoneyError);
  });

  it('orders amounts with min and max', () => {
    expect(min(paise(5), paise(-5))).toBe(-5);
    expect(max(paise(5), paise(-5))).toBe(5);
  });
});

describe('money: parsing and formatting', () => {
  it('parses decimal rupee text without floats', () => {
    expect(rupees('1234.5')).toBe(123_450);
    expect(rupees('1234.56')).toBe(123_456);
    expect(rupees('-0.05')).toBe(-5);
    expect(rupees(' 12 ')).toBe(1200);
    expect(rupees('0')).toBe(0);
    expect(rupees('90071992547409.91')).toBe(MAX_SAFE);
  });

  it('parses numbers through their two-decimal text', () => {
    expect(rupees(0.1 + 0.2)).toBe(30);
    expect(rupees(2500)).toBe(250_000);
    expect(rupees(-1.5)).toBe(-150);
  });

  it('rejects anything that is not a rupee amount with at most two decimals', () => {
    for (const bad of ['1.234', 'abc', '1e3', '', '--1', '1,000', '₹10', '.5']) {
      expect(() => rupees(bad), bad).toThrow(MoneyError);
    }
    expect(() => rupees('90071992547409.92')).toThrow(MoneyError);
  });

  it('formats paise as plain decimal rupees', () => {
    expect(formatRupees(paise(123_456))).toBe('1234.56');
    expect(formatRupees(paise(-5))).toBe('-0.05');
    expect(formatRupees(paise(0))).toBe('0.00');
    expect(formatRupees(paise(100))).toBe('1.00');
    expect(formatRupees(paise(MAX_SAFE))).toBe('90071992547409.91');
  });

  it('round-trips text through paise', () => {
    for (const text of ['0.01', '-1234.50', '99999999.99']) expect(formatRupees(rupees(text))).toBe(text);
  });
});

describe('money: applyRate', () => {
  const onePercent = { numerator: 1, denominator: 100 };

  it('rounds half away from zero by default', () => {
    expect(applyRate(paise(250), onePercent)).toBe(3); // 2.5 -> 3
    expect(applyRate(paise(249), onePercent)).toBe(2); // 2.49 -> 2
    expect(applyRate(paise(-250), onePercent)).toBe(-3); // -2.5 -> -3
    expect(applyRate(paise(-249), onePercent)).toBe(-2);
  });

  it("rounds towards zero with 'down' and away from zero with 'up'", () => {
    expect(applyRate(paise(299), onePercent, 'down')).toBe(2); // 2.99 -> 2
    expect(applyRate(paise(-299), onePercent, 'down')).toBe(-2);
    expect(applyRate(paise(201), onePercent, 'up')).toBe(3); // 2.01 -> 3
    expect(applyRate(paise(-201), onePercent, 'up')).toBe(-3);
    expect(applyRate(paise(200), onePercent, 'up')).toBe(2); // exact: no rounding
  });

  it('stays exact for amounts whose product exceeds 2^53', () => {
    // 9,007,199,254,740,991 x 297 = 2,675,138,178,658,074,327; / 10^7 = 267,513,817,865.8074327
    const exchange = { numerator: 297, denominator: 10_000_000 };
    expect(applyRate(paise(MAX_SAFE), exchange)).toBe(267_513_817_866);
    expect(applyRate(paise(MAX_SAFE), exchange, 'down')).toBe(267_513_817_865);
    // x 18 / 100 = 1,621,295,865,853,378.38
    expect(applyRate(paise(-MAX_SAFE), { numerator: 18, denominator: 100 })).toBe(-1_621_295_865_853_378);
  });

  it('refuses a result outside the safe integer range', () => {
    expect(() => applyRate(paise(MAX_SAFE), { numerator: 2, denominator: 1 })).toThrow(MoneyError);
  });

  it('expresses basis points as a rate', () => {
    expect(applyRate(paise(1_000_000), basisPoints(25))).toBe(2_500);
    expect(applyRate(paise(1_000), basisPoints(5))).toBe(1); // 0.5 -> 1
  });
});

describe('money: roundToTick', () => {
  it('snaps to the nearest multiple of the tick size', () => {
    expect(roundToTick(250_002, paise(5))).toBe(250_000);
    expect(roundToTick(250_003, paise(5))).toBe(250_005);
    expect(roundToTick(250_002.5, paise(5))).toBe(250_005); // half a tick rounds up
    expect(roundToTick(250_260.01, paise(5))).toBe(250_260);
  });

  it('refuses a non-positive tick size', () => {
    expect(() => roundToTick(100, paise(0))).toThrow(/tick size/);
    expect(() => roundToTick(100, paise(-5))).toThrow(/tick size/);
  });
});
