import { describe, expect, it } from 'vitest';
import { BUILT_IN_YEARS, buildMarketCalendar, calendarYearSchema } from './market-calendar';
import {
  calendarCoverage,
  covers,
  formatIst,
  isMarketOpen,
  kiteSessionExpiry,
  marketStatus,
  NSE_CALENDAR,
  sessionOn,
  toIst,
} from './market-hours';

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

  it('is closed on 15 January 2026, the holiday NSE added for the Maharashtra municipal elections', () => {
    expect(marketStatus(at('2026-01-15T11:00:00'))).toEqual({ open: false, reason: 'holiday' }); // a Thursday
    expect(isMarketOpen(at('2026-01-14T11:00:00'))).toBe(true);
    expect(isMarketOpen(at('2026-01-16T11:00:00'))).toBe(true);
  });
});

describe('special sessions', () => {
  it('opens on a Sunday for the session NSE announced (Union Budget, 1 February 2026)', () => {
    expect(sessionOn('2026-02-01')).toEqual({
      date: '2026-02-01',
      opensAt: '2026-02-01T09:15:00+05:30',
      closesAt: '2026-02-01T15:30:00+05:30',
      special: 'Union Budget (live trading on a Sunday)',
    });
    expect(marketStatus(at('2026-02-01T09:14:00'))).toEqual({ open: false, reason: 'before-open' });
    expect(marketStatus(at('2026-02-01T11:00:00'))).toEqual({ open: true, closesAt: '2026-02-01T15:30:00+05:30' });
    expect(marketStatus(at('2026-02-01T15:30:00'))).toEqual({ open: false, reason: 'after-close' });
    // the Sunday after is an ordinary weekend
    expect(sessionOn('2026-02-08')).toBeNull();
    expect(marketStatus(at('2026-02-08T11:00:00'))).toEqual({ open: false, reason: 'weekend' });
  });

  // Diwali 2025: Laxmi Pujan (Tuesday 21 October) was a holiday with Muhurat trading 13:45-14:45.
  const diwali2025 = (specialSessions: unknown[]) =>
    buildMarketCalendar([
      calendarYearSchema.parse({
        exchange: 'NSE',
        segment: 'equity',
        year: 2025,
        sources: ['test calendar'],
        holidays: [{ date: '2025-10-21', name: 'Diwali Laxmi Pujan' }],
        specialSessions,
      }),
    ]);

  it('opens on a holiday with the special session’s own hours, and only then', () => {
    const calendar = diwali2025([{ date: '2025-10-21', opensAt: '13:45', closesAt: '14:45', name: 'Muhurat trading' }]);
    expect(sessionOn('2025-10-21', calendar)).toEqual({
      date: '2025-10-21',
      opensAt: '2025-10-21T13:45:00+05:30',
      closesAt: '2025-10-21T14:45:00+05:30',
      special: 'Muhurat trading',
    });
    expect(marketStatus(at('2025-10-21T09:30:00'), calendar)).toEqual({ open: false, reason: 'before-open' });
    expect(isMarketOpen(at('2025-10-21T13:44:59'), calendar)).toBe(false);
    expect(marketStatus(at('2025-10-21T13:45:00'), calendar)).toEqual({ open: true, closesAt: '2025-10-21T14:45:00+05:30' });
    expect(marketStatus(at('2025-10-21T14:45:00'), calendar)).toEqual({ open: false, reason: 'after-close' });
    // without the session the holiday stays closed all day
    const withoutSession = diwali2025([]);
    expect(sessionOn('2025-10-21', withoutSession)).toBeNull();
    expect(marketStatus(at('2025-10-21T14:00:00'), withoutSession)).toEqual({ open: false, reason: 'holiday' });
  });
});

describe('sessionOn', () => {
  it('gives a regular day 09:15 to 15:30 IST as exact instants with the +05:30 offset', () => {
    const session = sessionOn('2026-11-25');
    expect(session).toEqual({ date: '2026-11-25', opensAt: '2026-11-25T09:15:00+05:30', closesAt: '2026-11-25T15:30:00+05:30' });
    expect(Date.parse(session!.opensAt)).toBe(Date.parse('2026-11-25T03:45:00Z'));
    expect(Date.parse(session!.closesAt)).toBe(Date.parse('2026-11-25T10:00:00Z'));
    expect(session).not.toHaveProperty('special');
  });

  it('has no session on weekends and holidays', () => {
    expect(sessionOn('2026-11-28')).toBeNull(); // Saturday
    expect(sessionOn('2026-11-29')).toBeNull(); // Sunday
    expect(sessionOn('2026-11-24')).toBeNull(); // Guru Nanak Jayanti
    expect(sessionOn('2026-01-15')).toBeNull(); // Maharashtra municipal elections
    expect(sessionOn('2026-11-08')).toBeNull(); // Diwali Laxmi Pujan, Sunday, Muhurat hours not listed
  });

  it('refuses text that is not an existing IST date', () => {
    for (const bad of ['2026-1-5', '2026-02-30', '2026-13-45', '25-11-2026', '2026-11-25T09:15:00+05:30', '']) {
      expect(() => sessionOn(bad)).toThrow(RangeError);
    }
  });
});

describe('coverage', () => {
  it('covers the years it has files for, and no others', () => {
    expect(NSE_CALENDAR.years).toEqual([2026]);
    expect(covers(NSE_CALENDAR, '2026-01-01')).toBe(true);
    expect(covers(NSE_CALENDAR, '2026-12-31')).toBe(true);
    expect(covers(NSE_CALENDAR, '2027-01-01')).toBe(false);
    expect(covers(NSE_CALENDAR, '2025-12-31')).toBe(false);
  });

  it('reports an instant by its IST date: 18:30 UTC on 31 December is already the next year in India', () => {
    expect(calendarCoverage(new Date('2026-12-31T18:29:59Z'))).toEqual({ date: '2026-12-31', year: 2026, covered: true, coveredUntil: '2026-12-31' });
    expect(calendarCoverage(new Date('2026-12-31T18:30:00Z'))).toEqual({ date: '2027-01-01', year: 2027, covered: false, coveredUntil: '2026-12-31' });
    expect(calendarCoverage(new Date('2027-03-01T05:00:00Z'), buildMarketCalendar([]))).toMatchObject({ covered: false, coveredUntil: null });
  });

  it('applies the regular timetable on a day it does not cover, with the same status reasons', () => {
    // 26 January 2027 (Republic Day, a Tuesday) is not in any file yet: a regular session
    expect(sessionOn('2027-01-26')).toEqual({ date: '2027-01-26', opensAt: '2027-01-26T09:15:00+05:30', closesAt: '2027-01-26T15:30:00+05:30' });
    expect(marketStatus(at('2027-01-26T11:00:00'))).toEqual({ open: true, closesAt: '2027-01-26T15:30:00+05:30' });
    expect(marketStatus(at('2027-01-30T11:00:00'))).toEqual({ open: false, reason: 'weekend' });
  });

  it('takes a replacement file for a year as the whole of that year, and adds new years', () => {
    const replacement = calendarYearSchema.parse({
      exchange: 'NSE',
      segment: 'equity',
      year: 2026,
      sources: ['corrected list'],
      holidays: [{ date: '2026-12-24', name: 'Test holiday' }],
    });
    const next = calendarYearSchema.parse({ exchange: 'NSE', segment: 'equity', year: 2027, sources: ['2027 list'], holidays: [] });
    const calendar = buildMarketCalendar([...BUILT_IN_YEARS, replacement, next]);
    expect(calendar.years).toEqual([2026, 2027]);
    expect(sessionOn('2026-12-24', calendar)).toBeNull();
    expect(sessionOn('2026-12-25', calendar)).not.toBeNull(); // Christmas came from the replaced file
    expect(sessionOn('2026-02-01', calendar)).toBeNull(); // and so did the Sunday budget session
    expect(covers(calendar, '2027-06-01')).toBe(true);
    expect(calendar.sources.get(2026)).toEqual(['corrected list']);
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
