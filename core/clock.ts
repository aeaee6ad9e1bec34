// The clock the services stamp event times with: the wall clock, shifted by CLOCK__OFFSET_MS in
// mock mode (the config refuses a shift with Zerodha enabled). Timeouts, retries and pacing keep
// the wall clock: only what becomes an event's time reads this one.
import type { Config } from './config/schema';
import { toIst } from './domain/market-hours';

export type Clock = () => Date;

export function eventClock(config: Pick<Config, 'clock'>): Clock {
  const { offsetMs } = config.clock;
  return () => new Date(Date.now() + offsetMs);
}

/**
 * The CLOCK__OFFSET_MS that puts the event clock at an IST time of today's IST date, for a run
 * that should trade inside the session whenever it happens (the tests, the fault suite).
 */
export function offsetToIstTime(istTime: string, now: Date = new Date()): number {
  return Date.parse(`${toIst(now).date}T${istTime}:00+05:30`) - now.getTime();
}
