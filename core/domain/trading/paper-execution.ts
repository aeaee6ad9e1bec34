// How a simulated order meets a quote (a tick, or a MARKET entry's signal price at submission):
// stop triggers, whether the price is executable, the fill price (with slippage for market
// executions) and how many shares the quote's depth can absorb.
import type { Tick } from '../events';
import { paise, type Paise } from '../money';
import { nextInt, type Rng } from './rng';

export interface PaperBrokerConfig {
  /** Slippage of market executions (MARKET, triggered SL-M), in bps against the trader. */
  slippageBps: number;
  /**
   * Extra slippage drawn per market execution, uniformly from [0, slippageJitterBps], with the
   * seeded rng the caller passes (the instrument's on a tick; the order's own for a MARKET entry
   * filled at submission, see paper-broker.ts).
   */
  slippageJitterBps: number;
  /** Tick size fill prices are rounded to, in paise. */
  tickSize: number;
  /** How long after its submission an order reaches the exchange, in ms of tick time; 0 = at once. */
  latencyMs: number;
  /** MIS (intraday) exposure needs its value divided by this as margin (see paper-positions.ts). */
  misLeverage: number;
}

export const DEFAULT_PAPER_BROKER_CONFIG: PaperBrokerConfig = Object.freeze({
  slippageBps: 5,
  slippageJitterBps: 0,
  tickSize: 5,
  latencyMs: 0,
  misLeverage: 5,
});

/**
 * Whether an order submitted at `submittedAt` has reached the exchange by a tick at `now`. Both
 * are event times (never the wall clock), so a replay decides the same. With no latency an order
 * is live from its submission time (a MARKET entry then fills at submission): a tick stamped
 * before it, reaching the engine late (a backlog, a restart, ticks taken in batches), is a price
 * the order never saw.
 */
export function reachedExchange(submittedAt: string, now: string, latencyMs: number): boolean {
  return Date.parse(now) >= Date.parse(submittedAt) + Math.max(0, latencyMs);
}

export interface ExecutableOrder {
  side: 'BUY' | 'SELL';
  orderType: 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';
  limitPrice?: number;
  triggerPrice?: number;
  triggered: boolean;
}

/** Whether a stop order's trigger is reached at this price: a buy stop above, a sell stop below. */
export function stopTriggered(order: ExecutableOrder, lastPrice: number): boolean {
  if (order.orderType !== 'SL' && order.orderType !== 'SL-M') return false;
  if (order.triggered) return true;
  const trigger = order.triggerPrice!;
  return order.side === 'BUY' ? lastPrice >= trigger : lastPrice <= trigger;
}

/**
 * Market price moved against the trader: buys pay more, sells receive less. The moved price is
 * rounded to the tick size away from the trader (buys up, sells down), and with any slippage at
 * all it is at least one tick worse than the last price: rounding to the nearest tick would give
 * a ₹10 stock no slippage at 5 bps (1000 x 1.0005 = 1000.5 paise, a tenth of a 5-paise tick).
 */
export function slippedPrice(lastPrice: Paise, side: 'BUY' | 'SELL', config: PaperBrokerConfig, rng: Rng): Paise {
  const jitter = config.slippageJitterBps > 0 ? nextInt(rng, 0, config.slippageJitterBps) : 0;
  const bps = config.slippageBps + jitter;
  if (bps <= 0) return lastPrice;
  const tick = BigInt(config.tickSize);
  const last = BigInt(lastPrice);
  // Exact integer arithmetic: price x (10000 ± bps) / 10000, in whole ticks.
  const scaled = last * BigInt(side === 'BUY' ? 10_000 + bps : 10_000 - bps);
  const unit = 10_000n * tick;
  if (side === 'BUY') {
    const ticks = ceilDiv(scaled, unit);
    const oneTickUp = ceilDiv(last, tick) + 1n;
    return paise(Number(ticks > oneTickUp ? ticks : oneTickUp) * config.tickSize);
  }
  const ticks = floorDiv(scaled, unit);
  const oneTickDown = floorDiv(last, tick) - 1n;
  const moved = Number(ticks < oneTickDown ? ticks : oneTickDown) * config.tickSize;
  return paise(moved > 0 ? moved : config.tickSize);
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const ceilDiv = (a: bigint, b: bigint) => -floorDiv(-a, b);

/**
 * The price a quote whose last price is `lastPrice` executes the order at, or null if it does not
 * execute now. `triggered` must already account for this quote (see stopTriggered). A limit buys
 * at the better of its limit and the last price (the last price, since it is at or below the
 * limit), and sells likewise.
 */
export function executionPrice(order: ExecutableOrder, lastPrice: number, config: PaperBrokerConfig, rng: Rng): Paise | null {
  const last = paise(lastPrice);
  const limitCrossed = (limit: number) => (order.side === 'BUY' ? last <= limit : last >= limit);
  const better = (limit: number) => paise(order.side === 'BUY' ? Math.min(limit, last) : Math.max(limit, last));
  switch (order.orderType) {
    case 'MARKET':
      return slippedPrice(last, order.side, config, rng);
    case 'LIMIT':
      return limitCrossed(order.limitPrice!) ? better(order.limitPrice!) : null;
    case 'SL-M':
      return order.triggered ? slippedPrice(last, order.side, config, rng) : null;
    case 'SL':
      return order.triggered && limitCrossed(order.limitPrice!) ? better(order.limitPrice!) : null;
  }
}

/** Depth on each side still available to this quote's orders, in shares; null = unlimited. */
export interface DepthLeft {
  buy: { price: number; quantity: number }[] | null;
  sell: { price: number; quantity: number }[] | null;
}

/** An order book's levels, as a full-mode tick carries them. */
export type Book = Tick['depth'];

/**
 * A quote without a book (an ltp/quote-mode tick, a signal's price) or with empty books does not
 * limit fill sizes; a book limits each order to the quantity on the opposite side, within its
 * limit price if any. Returns a copy, which the quote's fills consume.
 */
export function depthOf(book: Book | undefined): DepthLeft {
  if (!book || (book.buy.length === 0 && book.sell.length === 0)) return { buy: null, sell: null };
  const copy = (levels: Book['buy']) => levels.map((l) => ({ price: l.price, quantity: l.quantity }));
  return { buy: copy(book.buy), sell: copy(book.sell) };
}

const levelsFor = (order: ExecutableOrder, depth: DepthLeft) => (order.side === 'BUY' ? depth.sell : depth.buy);

const withinLimit = (order: ExecutableOrder, price: number) =>
  order.orderType === 'MARKET' || order.orderType === 'SL-M' || order.limitPrice === undefined
    ? true
    : order.side === 'BUY'
      ? price <= order.limitPrice
      : price >= order.limitPrice;

/** Shares the opposite side can absorb for this order (Infinity without depth). */
export function availableQuantity(order: ExecutableOrder, depth: DepthLeft): number {
  const levels = levelsFor(order, depth);
  if (levels === null) return Number.POSITIVE_INFINITY;
  return levels.filter((l) => withinLimit(order, l.price)).reduce((sum, l) => sum + l.quantity, 0);
}

/** Takes `quantity` shares off the opposite side, best levels first (in place on the copy). */
export function consumeDepth(order: ExecutableOrder, depth: DepthLeft, quantity: number): void {
  const levels = levelsFor(order, depth);
  if (levels === null) return;
  let left = quantity;
  for (const level of levels) {
    if (left === 0) break;
    if (!withinLimit(order, level.price)) continue;
    const taken = Math.min(level.quantity, left);
    level.quantity -= taken;
    left -= taken;
  }
}
