// India's market calendar: NSE equity trades 09:15 to 15:30 IST, Monday to Friday, except
// exchange holidays, plus the special sessions NSE announces (Muhurat trading, a Sunday budget
// session), which open with their own hours on a holiday or a weekend. Pure functions of an
// instant or an IST date; IST has no daylight saving (UTC+05:30).
//
// The holidays and special sessions are data (market-calendar.ts, one file per year). Every
// function that depends on them takes the calendar as an optional last argument, defaulting to
// the built-in one (toIst, formatIst and kiteSessionExpiry do not: IST and Kite's token expiry
// ignore holidays); the running program passes the calendar it loaded (built-in files replaced
// or extended by CALENDAR__DIR, core/calendar/load.ts).
//
// A year the calendar has no file for is "not covered". On such a day the functions apply the
// regular timetable (Monday to Friday, 09:15 to 15:30, no holidays), and `marketStatus` keeps
// its reasons (no 'not-covered'), so its callers need not change. That errs towards "open": a
// holiday then looks like a trading day (the monitor expects ticks, square-off and day-order
// expiry run on a closed market, which is harmless), whereas treating unknown days as closed
// would skip the square-off of real trading days. Coverage is reported separately
// (`covers`, `calendarCoverage`), and the startup health check warns loudly when today is not
// covered, so that the gap is fixed rather than silently lived with.
import { isCalendarDate, NSE_CALENDAR, type MarketCalendar } from './market-calendar';

export { NSE_CALENDAR, type MarketCalendar } from './market-calendar';

export const IST_OFFSET_MINUTES = 5 * 60 + 30;
export const MARKET_OPEN = { hour: 9, minute: 15 } as const;
export const MARKET_CLOSE = { hour: 15, minute: 30 } as const;

export interface IstParts {
  readonly date: string; // YYYY-MM-DD in IST
  readonly weekday: number; // 0 = Sunday
  readonly minutesOfDay: number;
}

export function toIst(instant: Date): IstParts {
  const shifted = new Date(instant.getTime() + IST_OFFSET_MINUTES * 60_000);
  return {
    date: shifted.toISOString().slice(0, 10),
    weekday: shifted.getUTCDay(),
    minutesOfDay: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
  };
}

/** ISO-8601 text of an instant in IST, e.g. 2026-11-24T09:15:00.000+05:30. */
export function formatIst(instant: Date): string {
  const shifted = new Date(instant.getTime() + IST_OFFSET_MINUTES * 60_000);
  return `${shifted.toISOString().slice(0, 23)}+05:30`;
}

/** One day's trading session on NSE's equity segment. */
export interface TradingSession {
  /** The IST calendar date, YYYY-MM-DD. */
  readonly date: string;
  /** When continuous trading starts: ISO-8601 with +05:30 and whole seconds, e.g. 2026-11-25T09:15:00+05:30. */
  readonly opensAt: string;
  /**
   * When continuous trading ends, same format: 15:30 on a regular day. The end is exclusive (at
   * 15:30:00 the market is closed), so an order or square-off must happen strictly before it.
   */
  readonly closesAt: string;
  /** The special session's name, when the day does not follow the regular timetable. */
  readonly special?: string;
}

const pad = (value: number) => String(value).padStart(2, '0');
const istTimestamp = (date: string, hhmm: string) => `${date}T${hhmm}:00+05:30`;
const REGULAR_OPEN = `${pad(MARKET_OPEN.hour)}:${pad(MARKET_OPEN.minute)}`;
const REGULAR_CLOSE = `${pad(MARKET_CLOSE.hour)}:${pad(MARKET_CLOSE.minute)}`;

/** Day of the week of an IST date (0 = Sunday); throws on text that is not an existing date. */
function weekdayOf(date: string): number {
  if (!isCalendarDate(date)) throw new RangeError(`expected an IST date as YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/**
 * The session NSE's equity segment trades on an IST date, or null when it does not trade.
 *
 * - A special session listed for the date wins, whatever the day: it opens and closes at its own
 *   times (Muhurat trading on a Sunday holiday, a Sunday budget session at regular hours, or a
 *   trading day with other hours), and carries its name in `special`.
 * - Otherwise Saturdays, Sundays and listed holidays have no session (null).
 * - Otherwise the regular session: 09:15 to 15:30 IST.
 *
 * A date in a year the calendar does not cover gets the regular timetable (see the header);
 * check `covers(calendar, date)` when that matters. `opensAt` and `closesAt` are exact instants:
 * `Date.parse(closesAt)` is the close, and e.g. MIS square-off ten minutes earlier is
 * `Date.parse(closesAt) - 10 * 60_000`. Throws a RangeError when `date` is not YYYY-MM-DD.
 */
export function sessionOn(date: string, calendar: MarketCalendar = NSE_CALENDAR): TradingSession | null {
  const weekday = weekdayOf(date);
  const special = calendar.specialSessions.get(date);
  if (special) {
    return { date, opensAt: istTimestamp(date, special.opensAt), closesAt: istTimestamp(date, special.closesAt), special: special.name };
  }
  if (weekday === 0 || weekday === 6 || calendar.holidays.has(date)) return null;
  return { date, opensAt: istTimestamp(date, REGULAR_OPEN), closesAt: istTimestamp(date, REGULAR_CLOSE) };
}

/** Whether the calendar has data for the year of an IST date (YYYY-MM-DD). */
export function covers(calendar: MarketCalendar, date: string): boolean {
  weekdayOf(date); // validates the text
  return calendar.years.includes(Number(date.slice(0, 4)));
}

export interface CalendarCoverage {
  /** The IST date of the instant. */
  readonly date: string;
  readonly year: number;
  readonly covered: boolean;
  /** The last IST date the calendar has data for, or null for an empty calendar. */
  readonly coveredUntil: string | null;
}

/** Whether the calendar has data for the IST date of an instant, and how far its data reaches. */
export function calendarCoverage(instant: Date, calendar: MarketCalendar = NSE_CALENDAR): CalendarCoverage {
  const { date } = toIst(instant);
  const last = calendar.years.at(-1);
  return { date, year: Number(date.slice(0, 4)), covered: covers(calendar, date), coveredUntil: last === undefined ? null : `${last}-12-31` };
}

export type MarketStatus =
  | { open: true; closesAt: string }
  | { open: false; reason: 'weekend' | 'holiday' | 'before-open' | 'after-close' };

export function marketStatus(instant: Date, calendar: MarketCalendar = NSE_CALENDAR): MarketStatus {
  const ist = toIst(instant);
  const session = sessionOn(ist.date, calendar);
  if (!session) return { open: false, reason: ist.weekday === 0 || ist.weekday === 6 ? 'weekend' : 'holiday' };
  const now = instant.getTime();
  if (now < Date.parse(session.opensAt)) return { open: false, reason: 'before-open' };
  if (now >= Date.parse(session.closesAt)) return { open: false, reason: 'after-close' };
  return { open: true, closesAt: session.closesAt };
}

export const isMarketOpen = (instant: Date, calendar: MarketCalendar = NSE_CALENDAR) => marketStatus(instant, calendar).open;

/**
 * When a Kite access token stops working: 06:00 IST on the day after it was issued
 * (or the same day, for a token issued between midnight and 06:00).
 */
export function kiteSessionExpiry(issuedAt: Date): Date {
  const ist = toIst(issuedAt);
  const sixAm = 6 * 60;
  const base = Date.parse(`${ist.date}T06:00:00+05:30`);
  return new Date(ist.minutesOfDay < sixAm ? base : base + 24 * 60 * 60_000);
}
