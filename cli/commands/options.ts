// Option parsers shared by the listing commands (strategies, orders, fills, portfolio). Each
// refuses a bad value with a message naming the option, before anything connects.
import { InvalidArgumentError, Option } from 'commander';
import { IST_OFFSET_MINUTES } from '../../core/domain/market-hours';
import { DEFAULT_TRADES_LIMIT } from '../../core/postgres/trades';

export const MAX_LIMIT = 10_000;

/** `--limit N`: a whole number of rows from 1 to MAX_LIMIT. */
export function parseLimit(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1 || parsed > MAX_LIMIT) {
    throw new InvalidArgumentError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return parsed;
}

/**
 * `--since`: an ISO-8601 instant. A time without a zone, or a bare date (its midnight), is read
 * in IST, the market's time, so that `--since 2026-12-01` means that trading day's start.
 */
export function parseSince(value: string): Date {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('--since must be an ISO-8601 date or time, e.g. 2026-12-01 or 2026-12-01T09:15:00+05:30');
  const [, date = '', time = '00:00', zone = IST_ZONE] = match;
  const instant = new Date(`${date}T${time}${zone}`);
  // A Date rolls 2026-02-30 over into March; a wrong calendar date is refused instead.
  const midnight = new Date(`${date}T00:00:00Z`);
  const realDate = !Number.isNaN(midnight.getTime()) && midnight.toISOString().slice(0, 10) === date;
  if (!realDate || Number.isNaN(instant.getTime())) throw new InvalidArgumentError(`--since: ${value} is not a valid date or time`);
  return instant;
}

const hhmm = (minutes: number) => `${String(Math.trunc(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const IST_ZONE = `+${hhmm(IST_OFFSET_MINUTES)}`;

export const strategyFilterOption = () => new Option('-s, --strategy <id>', 'only this strategy');
export const sinceOption = () => new Option('--since <iso>', 'only from this instant on (a date or a time without zone is IST)').argParser(parseSince);
export const limitOption = () => new Option('--limit <n>', `at most this many rows, newest first (1-${MAX_LIMIT})`).argParser(parseLimit).default(DEFAULT_TRADES_LIMIT);
