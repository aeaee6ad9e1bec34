import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load';
import { covers, NSE_CALENDAR, sessionOn } from '../domain/market-hours';
import { CalendarFileError, loadMarketCalendar, marketCalendarFor, readCalendarDir } from './load';

const year = (value: number, extra: Record<string, unknown> = {}) => ({
  exchange: 'NSE',
  segment: 'equity',
  year: value,
  sources: [`test list for ${value}`],
  holidays: [],
  ...extra,
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'alpha-panda-calendar-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: unknown) =>
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));

function refusal(run: () => unknown): CalendarFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof CalendarFileError) return error;
    throw error;
  }
  throw new Error('expected the calendar to be refused');
}

describe('loadMarketCalendar', () => {
  it('is the built-in calendar when no directory is set', () => {
    expect(loadMarketCalendar('')).toBe(NSE_CALENDAR);
  });

  it('replaces a built-in year with the directory’s file and adds the years the build lacks', () => {
    write('nse-2026.json', year(2026, { holidays: [{ date: '2026-12-24', name: 'Corrected holiday' }] }));
    write('nse-2027.json', year(2027, {
      holidays: [{ date: '2027-01-26', name: 'Republic Day' }],
      specialSessions: [{ date: '2027-10-31', opensAt: '18:00', closesAt: '19:00', name: 'Muhurat trading' }],
    }));
    write('README.md', 'other files are left alone');
    const calendar = loadMarketCalendar(dir);
    expect(calendar.years).toEqual([2026, 2027]);
    expect(sessionOn('2026-12-24', calendar)).toBeNull();
    expect(sessionOn('2026-12-25', calendar)).not.toBeNull(); // the built-in 2026 is replaced as a whole
    expect(sessionOn('2026-01-15', calendar)).not.toBeNull();
    expect(sessionOn('2027-01-26', calendar)).toBeNull();
    expect(sessionOn('2027-10-31', calendar)).toMatchObject({ closesAt: '2027-10-31T19:00:00+05:30', special: 'Muhurat trading' });
    expect(covers(calendar, '2027-06-01')).toBe(true);
    // and the built-in calendar is untouched
    expect(sessionOn('2026-12-24')).not.toBeNull();
  });

  it('is read once per configuration, from CALENDAR__DIR', () => {
    write('nse-2027.json', year(2027));
    const config = parseConfig({ CALENDAR__DIR: dir });
    const calendar = marketCalendarFor(config);
    expect(calendar.years).toEqual([2026, 2027]);
    rmSync(join(dir, 'nse-2027.json'));
    expect(marketCalendarFor(config)).toBe(calendar);
    expect(marketCalendarFor(parseConfig({}))).toBe(NSE_CALENDAR);
  });
});

describe('a bad calendar file', () => {
  it.each([
    ['a date that does not exist', year(2027, { holidays: [{ date: '2027-01-26', name: 'Republic Day' }, { date: '2027-02-30', name: 'x' }] }), 'holidays[1].date', 'expected a date that exists'],
    ['a month that does not exist', year(2027, { holidays: [{ date: '2027-13-01', name: 'x' }] }), 'holidays[0].date', 'expected a date that exists'],
    ['a date in another year', year(2027, { holidays: [{ date: '2026-12-25', name: 'Christmas' }] }), 'holidays[0].date', 'expected a date in 2027'],
    ['a date listed twice', year(2027, { holidays: [{ date: '2027-01-26', name: 'a' }, { date: '2027-01-26', name: 'b' }] }), 'holidays[1].date', 'listed twice'],
    ['a holiday without a name', year(2027, { holidays: [{ date: '2027-01-26' }] }), 'holidays[0].name', 'expected string'],
    ['a misspelt field', { ...year(2027), holiday: [] }, 'holiday', 'not a field of the calendar format'],
    ['a missing list', { ...year(2027), holidays: undefined }, 'holidays', 'expected array'],
    ['a time that is not HH:MM', year(2027, { specialSessions: [{ date: '2027-10-31', opensAt: '6 pm', closesAt: '19:00', name: 'Muhurat' }] }), 'specialSessions[0].opensAt', 'expected a time as HH:MM'],
    ['a session that closes before it opens', year(2027, { specialSessions: [{ date: '2027-10-31', opensAt: '19:00', closesAt: '18:00', name: 'Muhurat' }] }), 'specialSessions[0].closesAt', 'expected opensAt before closesAt'],
    ['no source', year(2027, { sources: [] }), 'sources', 'expected at least one source'],
    ['a year that is not its file name’s', year(2028), 'year', 'expected 2027, the year in the file name'],
    ['text that is not JSON', '{ "year": 2027, ', '(file)', 'not valid JSON'],
  ])('is refused, naming the file and the field: %s', (_case, content, field, message) => {
    write('nse-2027.json', content);
    const error = refusal(() => readCalendarDir(dir));
    expect(error.file).toBe(join(dir, 'nse-2027.json'));
    expect(error.problems).toContainEqual({ field, message: expect.stringContaining(message) });
    expect(error.message).toContain(join(dir, 'nse-2027.json'));
    expect(error.message).toContain(`${field}: `);
  });

  it('stops marketCalendarFor too, so the program cannot start with it', () => {
    write('nse-2027.json', year(2027, { holidays: [{ date: '27-01-2027', name: 'x' }] }));
    expect(refusal(() => marketCalendarFor(parseConfig({ CALENDAR__DIR: dir }))).problems).toEqual([
      { field: 'holidays[0].date', message: 'expected a date as YYYY-MM-DD' },
    ]);
  });

  it('refuses a .json file whose name is not nse-<year>.json, and a missing directory', () => {
    write('nse_2027.json', year(2027));
    expect(refusal(() => readCalendarDir(dir))).toMatchObject({ file: join(dir, 'nse_2027.json'), problems: [{ field: '(file)', message: expect.stringContaining('nse-2027.json') }] });
    const missing = join(dir, 'absent');
    expect(refusal(() => readCalendarDir(missing)).message).toContain(`${missing}:\n  (file): CALENDAR__DIR names no directory`);
    mkdirSync(join(dir, 'empty'));
    expect(loadMarketCalendar(join(dir, 'empty')).years).toEqual([2026]);
  });
});
