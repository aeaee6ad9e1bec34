// India's market calendar: NSE equity trades 09:15 to 15:30 IST, Monday to Friday, except
// exchange holidays. Pure functions of an instant; IST has no daylight saving (UTC+05:30).

export const IST_OFFSET_MINUTES = 5 * 60 + 30;
export const MARKET_OPEN = { hour: 9, minute: 15 } as const;
export const MARKET_CLOSE = { hour: 15, minute: 30 } as const;

/** NSE trading holidays (equity segment) as IST calendar dates. */
export const NSE_HOLIDAYS: ReadonlySet<string> = new Set([
  // 2026
  '2026-01-26', '2026-03-03', '2026-03-26', '2026-03-31', '2026-04-03', '2026-04-14', '2026-05-01',
  '2026-05-28', '2026-06-26', '2026-09-14', '2026-10-02', '2026-10-20', '2026-11-10', '2026-11-24',
  '2026-12-25',
  // 2027 (as announced so far)
  '2027-01-26',
]);

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

export type MarketStatus =
  | { open: true; closesAt: string }
  | { open: false; reason: 'weekend' | 'holiday' | 'before-open' | 'after-close' };

export function marketStatus(instant: Date): MarketStatus {
  const ist = toIst(instant);
  if (ist.weekday === 0 || ist.weekday === 6) return { open: false, reason: 'weekend' };
  if (NSE_HOLIDAYS.has(ist.date)) return { open: false, reason: 'holiday' };
  const openAt = MARKET_OPEN.hour * 60 + MARKET_OPEN.minute;
  const closeAt = MARKET_CLOSE.hour * 60 + MARKET_CLOSE.minute;
  if (ist.minutesOfDay < openAt) return { open: false, reason: 'before-open' };
  if (ist.minutesOfDay >= closeAt) return { open: false, reason: 'after-close' };
  return { open: true, closesAt: `${ist.date}T15:30:00+05:30` };
}

export const isMarketOpen = (instant: Date) => marketStatus(instant).open;

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
