// Simulated market data for mock mode: a seeded random walk per instrument that produces ticks in
// the shape of Kite's full mode (last price, volume, OHLC, 5-level depth, zoned timestamps), with
// every price on the instrument's tick size. Pure: same seed and clock, same ticks. Its whole state
// (each walk and the generator) can be saved and resumed, so a restarted feed carries on from the
// prices it last published instead of starting the seeded path again from the opening prices.
import { formatIst } from '../../core/domain/market-hours';
import { roundToTick, type Paise } from '../../core/domain/money';
import type { Tick } from '../../core/domain/events';

export interface SimulatedInstrument {
  readonly instrumentToken: number;
  readonly tradingsymbol: string;
  readonly exchange: string;
  readonly tickSize: Paise;
  /** Where the walk starts (the previous close). */
  readonly startPrice: Paise;
}

/** mulberry32: a small, fast PRNG with a 32-bit state, plenty for simulated prices. */
export function seededRandom(seed: number): (() => number) & { state(): number } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return Object.assign(next, { state: () => state });
}

export interface WalkState {
  price: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  turnover: number;
}

/** Per-tick volatility of the walk: about 0.05% of the price. */
const STEP_FRACTION = 0.0005;
const DEPTH_LEVELS = 5;

/** Everything the simulator needs to carry on where it stopped (plain JSON). */
export interface SimulatorState {
  /** The generator's state. */
  random: number;
  /** instrument token -> its walk. */
  walks: Record<string, WalkState>;
}

export class MarketSimulator {
  private readonly random: ReturnType<typeof seededRandom>;
  private readonly walks = new Map<number, WalkState>();

  /** `resume`: a saved state; instruments it does not know start from their start price. */
  constructor(
    private readonly instruments: readonly SimulatedInstrument[],
    seed: number,
    resume?: SimulatorState,
  ) {
    if (instruments.length === 0) throw new Error('the simulator needs at least one instrument');
    this.random = seededRandom(resume?.random ?? seed);
    for (const instrument of instruments) {
      const start = instrument.startPrice;
      const saved = resume?.walks[String(instrument.instrumentToken)];
      this.walks.set(instrument.instrumentToken, saved ? { ...saved } : { price: start, open: start, high: start, low: start, volume: 0, turnover: 0 });
    }
  }

  /** The state to resume from, as of the last tick produced. */
  state(): SimulatorState {
    const walks: Record<string, WalkState> = {};
    for (const [token, walk] of this.walks) walks[String(token)] = { ...walk };
    return { random: this.random.state(), walks };
  }

  /** The next tick of the instrument at position `index` (round-robin over the list). */
  tick(index: number, now: Date): Tick {
    const instrument = this.instruments[index % this.instruments.length]!;
    const walk = this.walks.get(instrument.instrumentToken)!;
    const step = (this.random() - 0.5) * 2 * STEP_FRACTION * walk.price;
    const price = Math.max(instrument.tickSize, roundToTick(walk.price + step, instrument.tickSize));
    const quantity = 1 + Math.floor(this.random() * 500);
    walk.price = price;
    walk.high = Math.max(walk.high, price);
    walk.low = Math.min(walk.low, price);
    walk.volume += quantity;
    walk.turnover += price * quantity;
    const timestamp = formatIst(now);
    const depth = this.depth(price, instrument.tickSize);
    return {
      instrumentToken: instrument.instrumentToken,
      tradingsymbol: instrument.tradingsymbol,
      exchange: instrument.exchange,
      mode: 'full',
      tradable: true,
      lastPrice: price,
      lastTradedQuantity: quantity,
      averageTradedPrice: Math.round(walk.turnover / walk.volume),
      volumeTraded: walk.volume,
      totalBuyQuantity: depth.buy.reduce((sum, level) => sum + level.quantity, 0),
      totalSellQuantity: depth.sell.reduce((sum, level) => sum + level.quantity, 0),
      ohlc: { open: walk.open, high: walk.high, low: walk.low, close: instrument.startPrice },
      change: Number((((price - instrument.startPrice) / instrument.startPrice) * 100).toFixed(4)),
      lastTradeTime: timestamp,
      exchangeTimestamp: timestamp,
      oi: 0,
      depth,
    };
  }

  private depth(price: number, tickSize: Paise) {
    const level = (offset: number) => ({
      price: price + offset * tickSize,
      quantity: 50 + Math.floor(this.random() * 1000),
      orders: 1 + Math.floor(this.random() * 20),
    });
    return {
      buy: Array.from({ length: DEPTH_LEVELS }, (_, i) => level(-(i + 1))).filter((l) => l.price > 0),
      sell: Array.from({ length: DEPTH_LEVELS }, (_, i) => level(i + 1)),
    };
  }
}
