// The fake ticker's prices: per instrument either a scripted path a test sets (each tick takes
// its next entry; the last one holds) or a seeded random walk on the instrument's tick size. The
// day's open, high, low, volume and average follow from the prices unless the script gives them.
import type { FakeInstrument } from './instruments';
import { DEPTH_LEVELS, isIndexToken, priceDivisor, toWireUnits, type WireDepthEntry, type WireQuote } from './ticker-packets';

type Rupees = string | number;

/** One step of a scripted path; prices as decimal rupees, anything left out is derived. */
export interface ScriptedQuote {
  price: Rupees;
  lastQuantity?: number;
  averagePrice?: Rupees;
  volume?: number;
  buyQuantity?: number;
  sellQuantity?: number;
  open?: Rupees;
  high?: Rupees;
  low?: Rupees;
  close?: Rupees;
  oi?: number;
  oiDayHigh?: number;
  oiDayLow?: number;
  lastTradeTime?: Date;
  exchangeTimestamp?: Date;
  depth?: { buy: Array<{ price: Rupees; quantity: number; orders: number }>; sell: Array<{ price: Rupees; quantity: number; orders: number }> };
}

interface Book {
  readonly divisor: number;
  readonly tick: number;
  price: number;
  open: number | null;
  high: number;
  low: number;
  readonly close: number;
  volume: number;
  turnover: number;
  path: ScriptedQuote[];
}

/** A small seeded generator (xorshift32), so a fake run's walk repeats. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4_294_967_296;
  };
}

const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

export class FakeQuoteBook {
  private readonly books = new Map<number, Book>();
  private readonly random: () => number;

  constructor(
    instruments: readonly FakeInstrument[],
    seed: number,
    private readonly now: () => Date,
  ) {
    this.random = seededRandom(seed);
    for (const instrument of instruments) {
      const divisor = priceDivisor(instrument.instrumentToken);
      const start = toWireUnits(instrument.lastPrice, divisor);
      // Indices have no tick size on Kite's list; they move in paise here.
      const tick = toWireUnits(instrument.tickSize, divisor) || 5;
      this.books.set(instrument.instrumentToken, { divisor, tick, price: start, open: null, high: start, low: start, close: start, volume: 0, turnover: 0, path: [] });
    }
  }

  setPath(instrumentToken: number, path: readonly ScriptedQuote[]): void {
    const book = this.books.get(instrumentToken);
    if (!book) throw new Error(`the fake Kite has no instrument ${instrumentToken}`);
    if (path.length === 0) throw new Error('a price path needs at least one entry');
    book.path = [...path];
  }

  /** The next quote of each of these instruments; unknown tokens get none, as on Kite. */
  advance(tokens: readonly number[]): Map<number, WireQuote> {
    const quotes = new Map<number, WireQuote>();
    for (const token of tokens) {
      const book = this.books.get(token);
      if (book) quotes.set(token, this.step(token, book));
    }
    return quotes;
  }

  private step(token: number, book: Book): WireQuote {
    const scripted = book.path.length > 1 ? book.path.shift()! : book.path[0];
    const wire = (value: Rupees) => toWireUnits(value, book.divisor);
    const price = scripted ? wire(scripted.price) : this.walk(book);
    const lastQuantity = scripted?.lastQuantity ?? 1 + Math.floor(this.random() * 100);
    book.price = price;
    book.open ??= price;
    book.high = Math.max(book.high, price);
    book.low = Math.min(book.low, price);
    book.volume += lastQuantity;
    book.turnover += price * lastQuantity;
    const at = this.now();
    const depth = scripted?.depth
      ? { buy: scripted.depth.buy.map((e) => ({ ...e, price: wire(e.price) })), sell: scripted.depth.sell.map((e) => ({ ...e, price: wire(e.price) })) }
      : this.depth(price, book.tick);
    const close = scripted?.close !== undefined ? wire(scripted.close) : book.close;
    return {
      instrumentToken: token,
      lastPrice: price,
      lastQuantity: isIndexToken(token) ? 0 : lastQuantity,
      averagePrice: scripted?.averagePrice !== undefined ? wire(scripted.averagePrice) : Math.round(book.turnover / book.volume),
      volume: scripted?.volume ?? book.volume,
      buyQuantity: scripted?.buyQuantity ?? depth.buy.reduce((sum, e) => sum + e.quantity, 0),
      sellQuantity: scripted?.sellQuantity ?? depth.sell.reduce((sum, e) => sum + e.quantity, 0),
      open: scripted?.open !== undefined ? wire(scripted.open) : book.open,
      high: scripted?.high !== undefined ? wire(scripted.high) : book.high,
      low: scripted?.low !== undefined ? wire(scripted.low) : book.low,
      close,
      change: price - close,
      lastTradeTime: unixSeconds(scripted?.lastTradeTime ?? at),
      oi: scripted?.oi ?? 0,
      oiDayHigh: scripted?.oiDayHigh ?? 0,
      oiDayLow: scripted?.oiDayLow ?? 0,
      exchangeTimestamp: unixSeconds(scripted?.exchangeTimestamp ?? at),
      depth,
    };
  }

  private walk(book: Book): number {
    const steps = Math.floor(this.random() * 5) - 2;
    return Math.max(book.tick, book.price + steps * book.tick);
  }

  private depth(price: number, tick: number): { buy: WireDepthEntry[]; sell: WireDepthEntry[] } {
    const level = (offset: number): WireDepthEntry => ({
      price: price + offset * tick,
      quantity: 10 + Math.floor(this.random() * 500),
      orders: 1 + Math.floor(this.random() * 20),
    });
    return {
      buy: Array.from({ length: DEPTH_LEVELS }, (_, i) => level(-(i + 1))).filter((e) => e.price > 0),
      sell: Array.from({ length: DEPTH_LEVELS }, (_, i) => level(i + 1)),
    };
  }
}
