import { describe, expect, it } from 'vitest';
import { duration, istDateTime, istTime, rupees, signedRupees } from './format';

describe('dashboard formatting', () => {
  it('shows integer paise as rupees exactly, with Indian grouping', () => {
    expect(rupees(0)).toBe('₹0.00');
    expect(rupees(5)).toBe('₹0.05');
    expect(rupees(-5)).toBe('-₹0.05');
    expect(rupees(100)).toBe('₹1.00');
    expect(rupees(12_345_678)).toBe('₹1,23,456.78');
    expect(rupees(100_000_000)).toBe('₹10,00,000.00');
    expect(rupees(123_456_789_012)).toBe('₹1,23,45,67,890.12');
    // Beyond what a binary float sums exactly, still digit for digit.
    expect(rupees(9_007_199_254_740_991)).toBe('₹9,00,71,99,25,47,409.91');
    expect(rupees(null)).toBe('—');
    expect(rupees(1.5)).toBe('?');
    expect(signedRupees(250)).toBe('+₹2.50');
    expect(signedRupees(-250)).toBe('-₹2.50');
  });

  it('shows times in IST whatever the zone of the instant', () => {
    expect(istTime('2026-11-24T03:45:09.000Z')).toBe('09:15:09');
    expect(istTime('2026-11-24T15:30:00.000+05:30')).toBe('15:30:00');
    expect(istDateTime('2026-11-24T18:35:00Z')).toBe('25 Nov, 00:05:00 IST');
    expect(istTime(null)).toBe('—');
    expect(duration(850)).toBe('850 ms');
    expect(duration(12_000)).toBe('12 s');
  });
});
