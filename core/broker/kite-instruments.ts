// Kite's instrument dump (GET /instruments, a CSV) through the kiteconnect client. kiteconnect
// parses tick size, strike and last price with parseFloat and the expiry into a Date at UTC
// midnight; each is turned back into Kite's text here (a double's shortest form is the decimal
// Kite wrote), so the instrument master keeps exact decimals.
import { KiteConnect } from 'kiteconnect';
import type { Config } from '../config/load';
import { upsertInstruments, type InstrumentRecord, type UpsertResult } from '../postgres/instruments';
import { withTransaction, type Pool } from '../postgres/pool';
import { meteredCall, type KiteCallMeter } from './kite-calls';
import { toKiteError } from './kite-error';
import { loadValidSession } from './session-store';

interface CsvRow {
  instrument_token?: string | number;
  exchange_token?: string | number;
  tradingsymbol?: string;
  name?: string;
  last_price?: number;
  expiry?: Date | string;
  strike?: number;
  tick_size?: number;
  lot_size?: number;
  instrument_type?: string;
  segment?: string;
  exchange?: string;
}

const decimal = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '0' : String(value));

export async function fetchInstrumentDump(config: Config, accessToken: string, meter?: KiteCallMeter): Promise<InstrumentRecord[]> {
  const client = new KiteConnect({ api_key: config.zerodha.apiKey, root: config.zerodha.apiRoot, access_token: accessToken });
  const rows = (await meteredCall(meter, 'GET /instruments', () => client.getInstruments(), (error) =>
    toKiteError(error, [config.zerodha.apiSecret, accessToken]),
  )) as unknown as CsvRow[];
  if (!Array.isArray(rows)) throw toKiteError({ message: 'Zerodha returned an instrument list that is not a CSV.' }, [accessToken]);
  const records: InstrumentRecord[] = [];
  for (const row of rows) {
    const instrumentToken = Number(row.instrument_token);
    // papaparse turns the CSV's closing newline into one empty row.
    if (!Number.isInteger(instrumentToken) || instrumentToken <= 0 || !row.tradingsymbol) continue;
    const expiry = row.expiry instanceof Date && !Number.isNaN(row.expiry.getTime()) ? row.expiry.toISOString().slice(0, 10) : null;
    records.push({
      instrumentToken,
      exchangeToken: Number(row.exchange_token),
      tradingsymbol: row.tradingsymbol,
      name: row.name ?? '',
      exchange: row.exchange ?? '',
      segment: row.segment ?? '',
      instrumentType: row.instrument_type ?? '',
      tickSize: decimal(row.tick_size),
      lotSize: Number.isInteger(row.lot_size) ? row.lot_size! : 0,
      expiry,
      strike: decimal(row.strike),
      lastPrice: decimal(row.last_price),
    });
  }
  return records;
}

export class NoSessionError extends Error {
  override name = 'NoSessionError';
}

/** Downloads Kite's instrument dump with the stored session and upserts it; idempotent. */
export async function syncInstrumentMaster(
  config: Config,
  pool: Pool,
  now: Date = new Date(),
  meter?: KiteCallMeter,
): Promise<UpsertResult & { downloaded: number }> {
  const session = await loadValidSession(pool, config, now);
  if (!session) {
    throw new NoSessionError("no valid Zerodha session is stored: log in first ('alpha-panda auth login-url', then 'alpha-panda auth --request-token')");
  }
  const records = await fetchInstrumentDump(config, session.accessToken, meter);
  const result = await withTransaction(pool, (client) => upsertInstruments(client, records, now));
  return { ...result, downloaded: records.length };
}
