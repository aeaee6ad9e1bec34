// Reads the override directory of market calendar files (CALENDAR__DIR) and combines it with the
// built-in years. Each file is validated against the same schema as the built-in ones; a bad
// file stops the program with the file's path and the field that is wrong.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/load';
import {
  BUILT_IN_YEARS,
  buildMarketCalendar,
  calendarYearSchema,
  NSE_CALENDAR,
  type CalendarYear,
  type MarketCalendar,
} from '../domain/market-calendar';

/** File names the directory may hold; any other `.json` is refused, so a misnamed year is not skipped unseen. */
const YEAR_FILE = /^nse-(\d{4})\.json$/;

export interface CalendarProblem {
  /** The field, e.g. `holidays[3].date`, or `(file)` for the file as a whole. */
  readonly field: string;
  readonly message: string;
}

export class CalendarFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly CalendarProblem[],
  ) {
    super(
      `Invalid market calendar file ${file}:\n${problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}\n` +
        'Fix the file (format: core/domain/calendar/nse-2026.json) or CALENDAR__DIR.',
    );
    this.name = 'CalendarFileError';
  }
}

/** `['holidays', 3, 'date']` -> `holidays[3].date` */
function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(file)';
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`)).join('');
}

/** Parses and validates one year file's text; `file` is only used in the error. */
export function parseCalendarFile(file: string, text: string, expectedYear?: number): CalendarYear {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CalendarFileError(file, [{ field: '(file)', message: `not valid JSON: ${(error as Error).message}` }]);
  }
  const result = calendarYearSchema.safeParse(json);
  if (!result.success) {
    throw new CalendarFileError(
      file,
      result.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ field: fieldName([...issue.path, key]), message: 'not a field of the calendar format' }))
          : [{ field: fieldName(issue.path), message: issue.message }],
      ),
    );
  }
  if (expectedYear !== undefined && result.data.year !== expectedYear) {
    throw new CalendarFileError(file, [{ field: 'year', message: `expected ${expectedYear}, the year in the file name` }]);
  }
  return result.data;
}

/** Every year file of a directory, by file name. Throws CalendarFileError for a missing directory or a bad file. */
export function readCalendarDir(dir: string): CalendarYear[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CalendarFileError(dir, [{ field: '(file)', message: 'CALENDAR__DIR names no directory' }]);
  }
  const years: CalendarYear[] = [];
  for (const name of readdirSync(dir).filter((entry) => entry.endsWith('.json')).sort()) {
    const path = join(dir, name);
    const match = YEAR_FILE.exec(name);
    if (!match) throw new CalendarFileError(path, [{ field: '(file)', message: 'expected a name like nse-2027.json' }]);
    years.push(parseCalendarFile(path, readFileSync(path, 'utf8'), Number(match[1])));
  }
  return years;
}

/** The built-in calendar with the years of `dir` replacing or extending it; empty `dir`: built-in only. */
export function loadMarketCalendar(dir: string): MarketCalendar {
  return dir === '' ? NSE_CALENDAR : buildMarketCalendar([...BUILT_IN_YEARS, ...readCalendarDir(dir)]);
}

const loaded = new WeakMap<Config, MarketCalendar>();

/** The calendar a configuration names, read once per configuration (files are read at start, not per call). */
export function marketCalendarFor(config: Config): MarketCalendar {
  let calendar = loaded.get(config);
  if (!calendar) {
    calendar = loadMarketCalendar(config.calendar.dir);
    loaded.set(config, calendar);
  }
  return calendar;
}

/** For entry points: the calendar, or the problem printed and the program stopped (like a bad variable). */
export function loadMarketCalendarOrExit(config: Config): MarketCalendar {
  try {
    return marketCalendarFor(config);
  } catch (error) {
    if (error instanceof CalendarFileError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
