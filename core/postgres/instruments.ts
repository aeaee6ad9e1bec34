// The instrument master in Postgres, as Kite's instrument dump gives it. Upserted by
// `alpha-panda instruments sync`; idempotent: a second run with the same dump changes no row.
import type { Queryable } from './pool';

/** One instrument, decimals kept as Kite's text so nothing passes through a float. */
export interface InstrumentRecord {
  instrumentToken: number;
  exchangeToken: number;
  tradingsymbol: string;
  name: string;
  exchange: string;
  segment: string;
  instrumentType: string;
  /** Rupees, e.g. "0.05", "0.0025", "0" for indices. */
  tickSize: string;
  lotSize: number;
  /** YYYY-MM-DD or null. */
  expiry: string | null;
  strike: string;
  /** Rupees; "0" when Kite gives none. */
  lastPrice: string;
}

/** A decimal rupee amount as whole paise, or null when it is zero or finer than a paisa. */
export function wholePaise(rupees: string): number | null {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(rupees.trim());
  if (!match) return null;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 2) return null;
  const value = Number(match[1]) * 100 + Number(fraction.padEnd(2, '0'));
  return value > 0 && Number.isSafeInteger(value) ? value : null;
}

const CHUNK = 2_000;

// A row changes only when one of Kite's fields did, so a re-run leaves every row (and synced_at)
// as it was. The last price is kept when the dump has none (Kite's is mostly 0).
const UPSERT = `
  insert into instruments as current
    (instrument_token, exchange_token, tradingsymbol, name, exchange, segment, instrument_type,
     tick_size, tick_size_paise, lot_size, expiry, strike, last_price_paise, synced_at)
  select * from unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::numeric[], $9::int[], $10::int[], $11::date[], $12::numeric[], $13::bigint[], $14::timestamptz[])
  on conflict (instrument_token) do update set
    exchange_token = excluded.exchange_token,
    tradingsymbol = excluded.tradingsymbol,
    name = excluded.name,
    exchange = excluded.exchange,
    segment = excluded.segment,
    instrument_type = excluded.instrument_type,
    tick_size = excluded.tick_size,
    tick_size_paise = excluded.tick_size_paise,
    lot_size = excluded.lot_size,
    expiry = excluded.expiry,
    strike = excluded.strike,
    last_price_paise = coalesce(excluded.last_price_paise, current.last_price_paise),
    synced_at = excluded.synced_at
  where (current.exchange_token, current.tradingsymbol, current.name, current.exchange, current.segment,
         current.instrument_type, current.tick_size, current.tick_size_paise, current.lot_size, current.expiry, current.strike)
        is distinct from
        (excluded.exchange_token, excluded.tradingsymbol, excluded.name, excluded.exchange, excluded.segment,
         excluded.instrument_type, excluded.tick_size, excluded.tick_size_paise, excluded.lot_size, excluded.expiry, excluded.strike)
     or (excluded.last_price_paise is not null and excluded.last_price_paise is distinct from current.last_price_paise)
  returning (xmax = 0) as inserted`;

export interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

export async function upsertInstruments(db: Queryable, records: readonly InstrumentRecord[], now: Date = new Date()): Promise<UpsertResult> {
  const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
  for (let start = 0; start < records.length; start += CHUNK) {
    const chunk = records.slice(start, start + CHUNK);
    const column = <T>(pick: (record: InstrumentRecord) => T) => chunk.map(pick);
    const { rows } = await db.query<{ inserted: boolean }>(UPSERT, [
      column((r) => r.instrumentToken),
      column((r) => r.exchangeToken),
      column((r) => r.tradingsymbol),
      column((r) => r.name),
      column((r) => r.exchange),
      column((r) => r.segment),
      column((r) => r.instrumentType),
      column((r) => r.tickSize),
      column((r) => wholePaise(r.tickSize)),
      column((r) => r.lotSize),
      column((r) => r.expiry),
      column((r) => r.strike),
      column((r) => wholePaise(r.lastPrice)),
      column(() => now),
    ]);
    const inserted = rows.filter((row) => row.inserted).length;
    result.inserted += inserted;
    result.updated += rows.length - inserted;
    result.unchanged += chunk.length - rows.length;
  }
  return result;
}
