// kiteconnect's parsed ticks in the domain's shape. kiteconnect divides every wire price by the
// segment's divisor into a float (paise / 100, CDS / 10^7, BCD / 10^4, per Kite's documentation);
// multiplying back by the same divisor and rounding recovers the exact wire integer (the wire is
// int32, far inside a double's exact range), which is paise for every segment but currency.
// Currency ticks keep their finer unit and say so with `priceScale` (see core/domain/events.ts).
import type { Tick } from '../../core/domain/events';
import { formatIst } from '../../core/domain/market-hours';
import type { FeedInstrument, TickMode } from './port';

/** The low byte of an instrument token is its segment; Kite's numbering. */
const SEGMENT_CDS = 3;
const SEGMENT_BCD = 6;

export function wireDivisor(instrumentToken: number): number {
  const segment = instrumentToken & 0xff;
  if (segment === SEGMENT_CDS) return 10_000_000;
  if (segment === SEGMENT_BCD) return 10_000;
  return 100;
}

interface KiteDepthEntry {
  quantity: number;
  price: number;
  orders: number;
}

/** A tick as kiteconnect's ticker emits it (fields by mode; Dates once passed through a worker). */
export interface KiteTickerTick {
  tradable: boolean;
  mode: string;
  instrument_token: number;
  last_price: number;
  last_traded_quantity?: number;
  average_traded_price?: number;
  volume_traded?: number;
  total_buy_quantity?: number;
  total_sell_quantity?: number;
  ohlc?: { open: number; high: number; low: number; close: number };
  change?: number;
  last_trade_time?: Date | null;
  exchange_timestamp?: Date | null;
  oi?: number;
  depth?: { buy: KiteDepthEntry[]; sell: KiteDepthEntry[] };
}

const MODES: readonly TickMode[] = ['ltp', 'quote', 'full'];

/** The domain tick, or null for one that carries no price yet (Kite sends 0 before the first trade). */
export function toDomainTick(raw: KiteTickerTick, instrument: FeedInstrument): Tick | null {
  const divisor = wireDivisor(raw.instrument_token);
  const price = (value: number | undefined) => Math.round((value ?? 0) * divisor);
  const lastPrice = price(raw.last_price);
  if (lastPrice <= 0) return null;
  const depthSide = (entries: readonly KiteDepthEntry[] | undefined) =>
    (entries ?? [])
      .filter((entry) => entry.quantity > 0 || entry.price > 0)
      .map((entry) => ({ price: price(entry.price), quantity: entry.quantity, orders: entry.orders }));
  const ohlc = raw.ohlc ?? { open: 0, high: 0, low: 0, close: 0 };
  const close = price(ohlc.close);
  return {
    instrumentToken: raw.instrument_token,
    tradingsymbol: instrument.tradingsymbol,
    exchange: instrument.exchange,
    mode: MODES.includes(raw.mode as TickMode) ? (raw.mode as TickMode) : 'ltp',
    tradable: raw.tradable,
    ...(divisor === 100 ? {} : { priceScale: divisor / 100 }),
    lastPrice,
    lastTradedQuantity: raw.last_traded_quantity ?? 0,
    averageTradedPrice: price(raw.average_traded_price),
    volumeTraded: raw.volume_traded ?? 0,
    totalBuyQuantity: raw.total_buy_quantity ?? 0,
    totalSellQuantity: raw.total_sell_quantity ?? 0,
    ohlc: { open: price(ohlc.open), high: price(ohlc.high), low: price(ohlc.low), close },
    // Recomputed from the exact integers rather than taken from kiteconnect's float arithmetic.
    change: close === 0 ? 0 : Number((((lastPrice - close) / close) * 100).toFixed(4)),
    lastTradeTime: zoned(raw.last_trade_time),
    exchangeTimestamp: zoned(raw.exchange_timestamp),
    oi: raw.oi ?? 0,
    depth: { buy: depthSide(raw.depth?.buy), sell: depthSide(raw.depth?.sell) },
  };
}

function zoned(value: Date | null | undefined): string | null {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return null;
  return formatIst(value);
}
