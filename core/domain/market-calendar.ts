// India's market calendar as data: one file per year in ./calendar (nse-<year>.json) listing
// NSE's equity trading holidays and special sessions, transcribed from NSE's circulars. The
// files are imported statically so the domain stays free of I/O; a directory of files in the
// same format can replace or extend them at start (core/calendar/load.ts, CALENDAR__DIR).
//
// To add a year: copy the previous file, transcribe NSE's "Trading holidays for the calendar
// year <year>" circular (and every later circular that adds a holiday or a special session),
// name the circulars in `sources`, and import the file in BUILT_IN_YEARS below.
import { z } from 'zod';
import nse2026 from './calendar/nse-2026.json' with { type: 'json' };

const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** Whether text is a date as YYYY-MM-DD that exists on the calendar (not 2026-02-30 or 2026-13-01). */
export function isCalendarDate(text: string): boolean {
  if (!DATE_TEXT.test(text)) return false;
  const midnight = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(midnight.getTime()) && midnight.toISOString().startsWith(text);
}

/** An IST calendar date, YYYY-MM-DD, that exists. */
const istDate = z
  .string()
  .regex(DATE_TEXT, { error: 'expected a date as YYYY-MM-DD' })
  // zod runs every check even after the regex failed: only judge existence of well-formed text
  .refine((value) => !DATE_TEXT.test(value) || isCalendarDate(value), { error: 'expected a date that exists' });

/** A wall-clock time in IST, HH:MM (24-hour). */
const istTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time as HH:MM (IST, 24-hour)' });

const holiday = z.strictObject({ date: istDate, name: z.string().min(1, { error: 'expected a name' }) });

/**
 * A session outside the regular timetable: on a holiday or a weekend (Muhurat trading, a Sunday
 * budget session), or with other hours on a trading day. It replaces that day's regular session.
 */
const specialSession = z
  .strictObject({ date: istDate, opensAt: istTime, closesAt: istTime, name: z.string().min(1, { error: 'expected a name' }) })
  .refine((session) => session.opensAt < session.closesAt, { error: 'expected opensAt before closesAt', path: ['closesAt'] });

/** The format of one year's file. Unknown keys are refused, so a misspelt field cannot pass unseen. */
export const calendarYearSchema = z
  .strictObject({
    exchange: z.literal('NSE'),
    segment: z.literal('equity'),
    year: z.number().int().min(2000).max(2100),
    /** The circulars the dates come from (number and date), so anyone can check them. */
    sources: z.array(z.string().min(1)).min(1, { error: 'expected at least one source (the NSE circular)' }),
    notes: z.array(z.string()).default([]),
    holidays: z.array(holiday),
    specialSessions: z.array(specialSession).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = { holidays: new Set<string>(), specialSessions: new Set<string>() };
    for (const list of ['holidays', 'specialSessions'] as const) {
      file[list].forEach((entry, index) => {
        // A malformed date already has its own issue; one message per mistake.
        if (isCalendarDate(entry.date) && !entry.date.startsWith(`${file.year}-`)) {
          ctx.addIssue({ code: 'custom', path: [list, index, 'date'], message: `expected a date in ${file.year}` });
        }
        if (seen[list].has(entry.date)) {
          ctx.addIssue({ code: 'custom', path: [list, index, 'date'], message: `${entry.date} is listed twice` });
        }
        seen[list].add(entry.date);
      });
    }
  });

export type CalendarYear = z.output<typeof calendarYearSchema>;

export interface Holiday {
  readonly date: string;
  readonly name: string;
}

export interface SpecialSession {
  readonly date: string;
  readonly opensAt: string; // HH:MM IST
  readonly closesAt: string; // HH:MM IST
  readonly name: string;
}

/** The calendar the market-hours functions read: which years it knows, and their exceptions. */
export interface MarketCalendar {
  /** Years with data, ascending. A date in any other year is not covered. */
  readonly years: readonly number[];
  readonly holidays: ReadonlyMap<string, Holiday>;
  readonly specialSessions: ReadonlyMap<string, SpecialSession>;
  /** Where each year's data came from, for the health check and `alpha-panda config`. */
  readonly sources: ReadonlyMap<number, readonly string[]>;
}

/**
 * Builds a calendar from year files. A later file for the same year replaces an earlier one as a
 * whole (an override directory corrects a year by shipping the full corrected list, never by
 * patching single dates, so a year's data always reads as one transcription).
 */
export function buildMarketCalendar(files: readonly CalendarYear[]): MarketCalendar {
  const byYear = new Map<number, CalendarYear>();
  for (const file of files) byYear.set(file.year, file);
  const years = [...byYear.keys()].sort((a, b) => a - b);
  const holidays = new Map<string, Holiday>();
  const specialSessions = new Map<string, SpecialSession>();
  const sources = new Map<number, readonly string[]>();
  for (const year of years) {
    const file = byYear.get(year)!;
    for (const { date, name } of file.holidays) holidays.set(date, Object.freeze({ date, name }));
    for (const { date, opensAt, closesAt, name } of file.specialSessions) {
      specialSessions.set(date, Object.freeze({ date, opensAt, closesAt, name }));
    }
    sources.set(year, Object.freeze([...file.sources]));
  }
  return Object.freeze({ years: Object.freeze(years), holidays, specialSessions, sources });
}

/** The year files shipped with the code, validated like any override file. */
export const BUILT_IN_YEARS: readonly CalendarYear[] = Object.freeze([nse2026].map((file) => calendarYearSchema.parse(file)));

/** NSE's calendar as shipped: the default of every market-hours function. */
export const NSE_CALENDAR: MarketCalendar = buildMarketCalendar(BUILT_IN_YEARS);
