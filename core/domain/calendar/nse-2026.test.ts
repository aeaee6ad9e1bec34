import { describe, expect, it } from 'vitest';
import { calendarYearSchema } from '../market-calendar';
import nse2026 from './nse-2026.json' with { type: 'json' };
import { CMTR_71775_HOLIDAYS, CMTR_71775_WEEKEND_HOLIDAYS, CMTR_72260_HOLIDAYS, CMTR_72349_SESSIONS } from './nse-2026.published';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "January 26, 2026" -> "2026-01-26", checking the circular's weekday against the date. */
function isoDate(text: string, weekday: string): string {
  const match = /^([A-Z][a-z]+) (\d{2}), (\d{4})$/.exec(text);
  if (!match) throw new Error(`unexpected date ${text}`);
  const month = MONTHS.indexOf(match[1]!) + 1;
  const iso = `${match[3]}-${String(month).padStart(2, '0')}-${match[2]}`;
  expect(DAYS[new Date(`${iso}T00:00:00Z`).getUTCDay()], `${text} is a ${weekday} in the circular`).toBe(weekday);
  return iso;
}

describe('nse-2026.json', () => {
  const file = calendarYearSchema.parse(nse2026);

  it('lists exactly the holidays of NSE/CMTR/71775 and NSE/CMTR/72260, under their names', () => {
    const published = [...CMTR_71775_HOLIDAYS, ...CMTR_71775_WEEKEND_HOLIDAYS, ...CMTR_72260_HOLIDAYS]
      .map(([date, day, name]) => ({ date: isoDate(date, day), name }))
      .sort((a, b) => a.date.localeCompare(b.date));
    expect(file.holidays).toEqual(published);
  });

  it('lists exactly the special sessions NSE published with their hours', () => {
    const published = CMTR_72349_SESSIONS.map(([date, day, opensAt, closesAt]) => ({ date: isoDate(date, day), opensAt, closesAt }));
    expect(file.specialSessions.map(({ date, opensAt, closesAt }) => ({ date, opensAt, closesAt }))).toEqual(published);
  });

  it('names its circulars', () => {
    for (const circular of ['NSE/CMTR/71775', 'NSE/CMTR/72260', 'NSE/CMTR/72349']) {
      expect(file.sources.some((source) => source.startsWith(circular))).toBe(true);
    }
  });
});
