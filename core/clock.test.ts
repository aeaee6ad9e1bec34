import { describe, expect, it } from 'vitest';
import { eventClock, offsetToIstTime } from './clock';

describe('eventClock', () => {
  it('is the wall clock without an offset, and shifted by it with one', () => {
    const before = Date.now();
    const wall = eventClock({ clock: { offsetMs: 0 } })().getTime();
    const shifted = eventClock({ clock: { offsetMs: -5 * 3_600_000 } })().getTime();
    const after = Date.now();
    expect(wall).toBeGreaterThanOrEqual(before);
    expect(wall).toBeLessThanOrEqual(after);
    expect(shifted).toBeGreaterThanOrEqual(before - 5 * 3_600_000);
    expect(shifted).toBeLessThanOrEqual(after - 5 * 3_600_000);
  });

  it('shifts to an IST time of the IST date, also when that date is not the UTC one', () => {
    expect(offsetToIstTime('10:00', new Date('2026-12-02T21:00:00+05:30'))).toBe(-11 * 3_600_000);
    // 23:30 UTC is 05:00 IST on the next day: 10:00 IST of that day is five hours ahead.
    expect(offsetToIstTime('10:00', new Date('2026-12-02T23:30:00Z'))).toBe(5 * 3_600_000);
  });
});
