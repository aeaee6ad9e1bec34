// Figures as a trader reads them: rupees from integer paise, exactly (integer arithmetic only,
// Indian digit grouping), and times in IST whatever the browser's own zone.

/** 12345678 -> "₹1,23,456.78"; -5 -> "-₹0.05". */
export function rupees(paise: number | null | undefined): string {
  if (paise === null || paise === undefined) return '—';
  if (!Number.isSafeInteger(paise)) return '?';
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  const whole = String(Math.floor(abs / 100));
  const fraction = String(abs % 100).padStart(2, '0');
  // Indian grouping: the last three digits, then groups of two (1,23,45,678).
  const last = whole.slice(-3);
  const rest = whole.slice(0, -3);
  const grouped = rest ? `${rest.replace(/\B(?=(\d{2})+(?!\d))/g, ',')},${last}` : last;
  return `${sign}₹${grouped}.${fraction}`;
}

/** A signed amount: "+₹12.50" for gains, "-₹3.00" for losses. */
export function signedRupees(paise: number): string {
  return paise > 0 ? `+${rupees(paise)}` : rupees(paise);
}

export function tone(paise: number): 'up' | 'down' | 'flat' {
  return paise > 0 ? 'up' : paise < 0 ? 'down' : 'flat';
}

const IST = 'Asia/Kolkata';
const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: IST, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: IST,
  day: '2-digit',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** "14:05:09" in IST. */
export function istTime(at: string | number | Date | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? '—' : timeFormat.format(date);
}

/** "24 Nov, 14:05:09 IST". */
export function istDateTime(at: string | number | Date | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? '—' : `${dateTimeFormat.format(date)} IST`;
}

/** 1234567 -> "12,34,567" (counts, quantities). */
export function count(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat('en-IN', { maximumFractionDigits: 1 }).format(value);
}

/** Milliseconds as "850 ms", "12 s", "3 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
