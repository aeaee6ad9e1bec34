// The fake's instrument master: what GET /instruments serves (as Kite's CSV) and what its ticker
// quotes. By default the sample NSE equities, an index and a currency future of each exchange, so
// that every price divisor of the ticker has an instrument.
import { SEED_INSTRUMENTS } from '../../core/postgres/seed-data';

/** A row of Kite's instrument dump, fields as the CSV spells them (prices as decimal rupees). */
export interface FakeInstrument {
  instrumentToken: number;
  exchangeToken: number;
  tradingsymbol: string;
  name: string;
  lastPrice: string;
  /** YYYY-MM-DD, or '' for none. */
  expiry: string;
  strike: string;
  tickSize: string;
  lotSize: number;
  instrumentType: string;
  segment: string;
  exchange: string;
}

export const INSTRUMENT_CSV_COLUMNS = [
  'instrument_token',
  'exchange_token',
  'tradingsymbol',
  'name',
  'last_price',
  'expiry',
  'strike',
  'tick_size',
  'lot_size',
  'instrument_type',
  'segment',
  'exchange',
] as const;

const rupeesText = (paise: number) => `${Math.trunc(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;

export const DEFAULT_FAKE_INSTRUMENTS: readonly FakeInstrument[] = [
  ...SEED_INSTRUMENTS.map((seed) => ({
    instrumentToken: seed.instrumentToken,
    exchangeToken: seed.exchangeToken,
    tradingsymbol: seed.tradingsymbol,
    name: seed.name,
    lastPrice: rupeesText(seed.referencePricePaise),
    expiry: '',
    strike: '0',
    tickSize: '0.05',
    lotSize: 1,
    instrumentType: 'EQ',
    segment: 'NSE',
    exchange: 'NSE',
  })),
  // Kite lists indices with a zero tick and lot size: they are not tradable.
  { instrumentToken: 256265, exchangeToken: 1001, tradingsymbol: 'NIFTY 50', name: 'NIFTY 50', lastPrice: '23400.00', expiry: '', strike: '0', tickSize: '0', lotSize: 0, instrumentType: 'EQ', segment: 'INDICES', exchange: 'NSE' },
  { instrumentToken: 260105, exchangeToken: 1016, tradingsymbol: 'NIFTY BANK', name: 'NIFTY BANK', lastPrice: '50100.00', expiry: '', strike: '0', tickSize: '0', lotSize: 0, instrumentType: 'EQ', segment: 'INDICES', exchange: 'NSE' },
  { instrumentToken: 412675, exchangeToken: 1612, tradingsymbol: 'USDINR26MARFUT', name: 'USDINR', lastPrice: '86.2525', expiry: '2026-03-27', strike: '0', tickSize: '0.0025', lotSize: 1, instrumentType: 'FUT', segment: 'CDS-FUT', exchange: 'CDS' },
  { instrumentToken: 2_560_006, exchangeToken: 10000, tradingsymbol: 'USDINR26MARFUT', name: 'USDINR', lastPrice: '86.2500', expiry: '2026-03-27', strike: '0', tickSize: '0.0025', lotSize: 1, instrumentType: 'FUT', segment: 'BCD-FUT', exchange: 'BCD' },
];

/** Kite's instruments CSV: a header row, then one row per instrument, the name quoted. */
export function instrumentsCsv(instruments: readonly FakeInstrument[]): string {
  const rows = instruments.map((i) =>
    [
      i.instrumentToken,
      i.exchangeToken,
      i.tradingsymbol,
      `"${i.name.replaceAll('"', '""')}"`,
      i.lastPrice,
      i.expiry,
      i.strike,
      i.tickSize,
      i.lotSize,
      i.instrumentType,
      i.segment,
      i.exchange,
    ].join(','),
  );
  return `${[INSTRUMENT_CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}
