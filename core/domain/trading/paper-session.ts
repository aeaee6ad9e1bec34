// The trading day as the paper broker meets it, on event time only (the tick's time, never the
// wall clock), so a replay decides the same:
//   - day orders (every entry) end at the session's close and release what they reserved;
//   - MIS positions are squared off at Zerodha's auto square-off time, 15:20 IST for NSE equity
//     ("intraday auto square-off timings", support.zerodha.com), and open MIS orders are
//     cancelled then; no fresh MIS order is accepted after it.
// The session's times come from the market calendar (sessionOn, core/domain/market-hours.ts), so a
// special session such as Muhurat trading closes at its own time. A day without a session (a
// weekend or holiday) that still brings ticks, as the simulated feed does every day, is traded
// with the regular hours, so paper trading on such a day still expires and squares off.
import { derivedEventId } from '../ids';
import { MARKET_CLOSE, sessionOn, toIst } from '../market-hours';

/** The IST calendar date of an event time, e.g. 2026-11-24. */
export const tradingDate = (at: string) => toIst(new Date(at)).date;

const pad = (n: number) => String(n).padStart(2, '0');

/** When the session of an IST date closes (NSE equity: 15:30 IST, or a special session's close). */
export function sessionClose(date: string): string {
  return sessionOn(date)?.closesAt ?? `${date}T${pad(MARKET_CLOSE.hour)}:${pad(MARKET_CLOSE.minute)}:00+05:30`;
}

/** Zerodha squares off NSE equity MIS positions 10 minutes before the close. */
const SQUARE_OFF_BEFORE_CLOSE_MS = 10 * 60_000;

/** Epoch ms of the session close of an IST date. */
export const closeMs = (date: string) => Date.parse(sessionClose(date));

/** Epoch ms of the auto square-off of an IST date. */
export const squareOffMs = (date: string) => closeMs(date) - SQUARE_OFF_BEFORE_CLOSE_MS;

/** 15:20 IST style text of the square-off time of a date, for reasons. */
export function squareOffText(date: string): string {
  const ist = new Date(squareOffMs(date) + 330 * 60_000);
  return `${ist.toISOString().slice(11, 16)} IST`;
}

/** A UUIDv7 carrying only a timestamp: the cause that square-off ids are derived from. */
function timeUuid(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/**
 * The id of the order squaring off a strategy's MIS position in an instrument on a date: derived
 * from those alone, so however often the square-off is recomputed it is the same order.
 */
export const squareOffOrderId = (strategyId: string, instrumentToken: number, date: string) =>
  derivedEventId(timeUuid(squareOffMs(date)), `square-off:${strategyId}:${instrumentToken}:${date}`);
