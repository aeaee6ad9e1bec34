import { describe, expect, it } from 'vitest';
import { formatIst, isMarketOpen, kiteSessionExpiry, marketStatus, toIst } from './market-hours';

const at = (ist: string) => new Date(`${ist}+05:30`);

describe('marketStatus', () => {
  // 2026-11-25 is a Wednesday and not a holiday
  it('opens at 09:15 IST and closes at 15:30 IST', () => {
    expect(marketStatus(at('2026-11-25T09:14:59'))).toEqual({ open: false, reason: 'before-open' });
    expect(marketStatus(at('2026-11-25T09:15:00'))).toEqual({ open: true, closesAt: '2026-11-25T15:30:00+05:30' });
    expect(marketStatus(at('2026-11-25T15:29:59'))).toMatchObject({ open: true });
    expect(marketStatus(at('2026-11-25T15:30:00'))).toEqual({ open: false, reason: 'after-close' });
  });

  it('uses IST whatever the zone of the instant', () => {
    expect(isMarketOpen(new Date('2026-11-25T03:44:00Z'))).toBe(false); // 09:14 IST
    expect(isMarketOpen(new Date('2026-11-25T03:45:00Z'))).toBe(true); // 09:15 IST
    expect(isMarketOpen(new Date('2026-11-25T09:59:00Z'))).toBe(true); // 15:29 IST
    expect(isMarketOpen(new Date('2026-11-25T10:00:00Z'))).toBe(false); // 15:30 IST
  });

  it('is closed on weekends', () => {
    expect(marketStatus(at('2026-11-28T11:00:00'))).toEqual({ open: false, reason: 'weekend' }); // Saturday
    expect(marketStatus(at('2026-11-29T11:00:00'))).toEqual({ open: false, reason: 'weekend' }); // Sunday
    // Friday 23:00 UTC is already Saturday in India
    expect(marketStatus(new Date('2026-11-27T23:00:00Z'))).toEqual({ open: false, reason: 'weekend' });
  });

  it('is closed on NSE holidays', () => {
    expect(marketStatus(at('2026-01-26T11:00:00'))).toEqual({ open: false, reason: 'holiday' }); // Republic Day, Monday
    expect(marketStatus(at('2026-12-25T11:00:00'))).toEqual({ open: false, reason: 'holiday' }); // Christmas, Friday
    expect(isMarketOpen(at('2026-12-24T11:00:00'))).toBe(true);
    // Guru Nanak Jayanti, a Tuesday
    expect(marketStatus(at('2026-11-24T11:00:00'))).toEqual({ open: false, reason: 'holiday' });
  });
});

describe('toIst and formatIst', () => {
  it('shifts to the IST calendar date and minute of day', () => {
    expect(toIst(new Date('2026-11-24T18:29:00Z'))).toEqual({ date: '2026-11-24', weekday: 2, minutesOfDay: 23 * 60 + 59 });
    expect(toIst(new Date('2026-11-24T18:30:00Z'))).toEqual({ date: '2026-11-25', weekday: 3, minutesOfDay: 0 });
  });

  it('formats an instant as ISO-8601 with the +05:30 offset, denoting the same instant', () => {
    const instant = new Date('2026-11-24T03:45:00.123Z');
    expect(formatIst(instant)).toBe('2026-11-24T09:15:00.123+05:30');
    expect(Date.parse(formatIst(instant))).toBe(instant.getTime());
    expect(formatIst(new Date('2026-11-24T20:00:00Z'))).toBe('2026-11-25T01:30:00.000+05:30');
  });
});

describe('kiteSessionExpiry', () => {
  it('expires at 06:00 IST the next day for a token issued after 06:00', () => {
    expect(kiteSessionExpiry(at('2026-11-24T06:00:00')).toISOString()).toBe('2026-11-25T00:30:00.000Z');
    expect(kiteSessionExpiry(at('2026-11-24T09:30:00')).toISOString()).toBe('2026-11-25T00:30:00.000Z');
    expect(kiteSessionExpiry(at('2026-11-24T23:59:00')).toISOString()).toBe('2026-11-25T00:30:00.000Z');
  });

  it('expires at 06:00 IST the same day for a token issued before 06:00', () => {
    expect(kiteSessionExpiry(at('2026-11-24T05:59:00')).toISOString()).toBe('2026-11-24T00:30:00.000Z');
    // 20:00 UTC on the 24th is 01:30 IST on the 25th
    expect(kiteSessionExpiry(new Date('2026-11-24T20:00:00Z')).toISOString()).toBe('2026-11-25T00:30:00.000Z');
  });
});
