// Portfolio accounting for one strategy, in exact integer paise.
//
// A position keeps its signed quantity and its signed cost basis (quantity x entry prices summed,
// in paise; negative for a short) rather than an average price, because the average of several
// fills is rarely a whole number of paise. The average shown in snapshots is derived from it and
// rounded half away from zero; it is never used for arithmetic.
//
// Adding to a position adds the fill's value to the cost basis. Reducing it releases the closed
// share of the cost basis (rounded to the paisa; the remainder stays with the open quantity, so a
// position closed in full releases exactly what it cost) and books realized P&L = value received
// for the closed quantity - cost released. A fill larger than the position closes it and opens
// the rest on the other side at the fill price.
//
// Realized and unrealized P&L are gross; charges are tracked apart (chargesPaid) and taken out of
// cash as each fill happens, so net P&L = realized + unrealized - chargesPaid.
import type { OrderFilled, PnlSnapshot, Tick } from '../events';
import { MoneyError } from '../money';

/**
 * The book of the positions a live engine adopted from the broker at reconciliation (opened in
 * Kite's web app, say): no strategy signalled them, so they are booked apart from every
 * strategy's, under this strategy id.
 */
export const RECONCILED_STRATEGY = 'reconciled';

/**
 * Cash a strategy's book starts with. The reconciled book starts with none: an adopted position
 * was paid for outside the platform, so the book's value (cash + positions at market) is the P&L
 * since adoption, not a share of the strategies' capital.
 */
export const startingCashOf = (strategyId: string, startingCash: number): number => (strategyId === RECONCILED_STRATEGY ? 0 : startingCash);

export interface PositionState {
  instrumentToken: number;
  /** Signed: positive long, negative short. */
  quantity: number;
  /** Signed cost of the open quantity in paise (negative for a short: what the sale brought in). */
  costBasis: number;
  /** Realized P&L of this instrument, gross of charges. */
  realizedPnl: number;
  /** Sequence of the last fill booked (its place in the strategy-instrument's log), when known. */
  fillSequence?: number;
}

export interface PortfolioState {
  startingCash: number;
  cash: number;
  realizedPnl: number;
  chargesPaid: number;
  /**
   * The part of chargesPaid booked from contract notes (note - per-fill estimates, summed over
   * the notes booked); absent until the first note, so that figure stays visible.
   */
  chargesAdjustment?: number;
  /** instrument token -> position (kept when flat, for its realized P&L). */
  positions: Record<string, PositionState>;
  /** instrument token -> last known price in paise. */
  lastPrices: Record<string, number>;
}

export function createPortfolio(startingCash: number): PortfolioState {
  if (!Number.isSafeInteger(startingCash) || startingCash < 0) {
    throw new MoneyError(`starting cash must be a non-negative whole number of paise, got ${startingCash}`);
  }
  return { startingCash, cash: startingCash, realizedPnl: 0, chargesPaid: 0, positions: {}, lastPrices: {} };
}

/** round(a x factor / b) half away from zero, exactly (BigInt), for integers and positive b. */
function divideRounded(a: number, b: number, factor = 1): number {
  const numerator = BigInt(a) * BigInt(factor);
  const denominator = BigInt(b);
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient = magnitude / denominator;
  if ((magnitude % denominator) * 2n >= denominator) quotient += 1n;
  return Number(negative ? -quotient : quotient);
}

const safe = (value: number, what: string) => {
  if (!Number.isSafeInteger(value)) throw new MoneyError(`${what} left the safe integer range: ${value}`);
  return value;
};

interface PositionChange {
  position: PositionState;
  realized: number;
}

/** The position after a signed fill of `signedQuantity` shares at `price`. */
export function applyToPosition(position: PositionState, signedQuantity: number, price: number): PositionChange {
  const { quantity, costBasis } = position;
  const value = signedQuantity * price;
  if (quantity === 0 || Math.sign(quantity) === Math.sign(signedQuantity)) {
    return {
      position: { ...position, quantity: quantity + signedQuantity, costBasis: safe(costBasis + value, 'cost basis') },
      realized: 0,
    };
  }
  const closing = Math.min(Math.abs(signedQuantity), Math.abs(quantity));
  const closedSigned = Math.sign(quantity) * closing;
  const released = closing === Math.abs(quantity) ? costBasis : divideRounded(costBasis, Math.abs(quantity), closing);
  // Long: sold `closing` shares for closing x price. Short: bought them back for that much.
  const realized = closedSigned * price - released;
  const opened = signedQuantity + closedSigned; // what is left of the fill after closing
  const next: PositionState = {
    ...position,
    quantity: quantity - closedSigned + opened,
    costBasis: safe(costBasis - released + opened * price, 'cost basis'),
    realizedPnl: safe(position.realizedPnl + realized, 'realized P&L'),
  };
  return { position: next, realized };
}

/**
 * Books a fill: position, realized P&L, charges, and cash (value and charges). `sequence` is the
 * fill's place in its strategy-instrument's log; snapshots carry it so readers know what they include.
 */
export function applyFill(state: PortfolioState, fill: OrderFilled, sequence?: number): PortfolioState {
  if (!Number.isSafeInteger(fill.quantity) || fill.quantity <= 0) throw new MoneyError(`bad fill quantity ${fill.quantity}`);
  const key = String(fill.instrumentToken);
  const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
  const current = state.positions[key] ?? { instrumentToken: fill.instrumentToken, quantity: 0, costBasis: 0, realizedPnl: 0 };
  const applied = applyToPosition(current, signed, fill.price);
  const realized = applied.realized;
  const position = sequence === undefined ? applied.position : { ...applied.position, fillSequence: sequence };
  const value = fill.quantity * fill.price;
  const cash = state.cash + (fill.side === 'BUY' ? -value : value) - fill.charges.total;
  return {
    ...state,
    cash: safe(cash, 'cash'),
    realizedPnl: safe(state.realizedPnl + realized, 'realized P&L'),
    chargesPaid: safe(state.chargesPaid + fill.charges.total, 'charges'),
    positions: { ...state.positions, [key]: position },
    // A fill is a trade at a known price: good enough to value the position until the next tick.
    lastPrices: key in state.lastPrices ? state.lastPrices : { ...state.lastPrices, [key]: fill.price },
  };
}

/**
 * Books a contract note's correction of the estimated charges: the day's note charged
 * `adjustment` paise more (or, negative, less) than the per-fill estimates already booked.
 */
export function applyChargesAdjustment(state: PortfolioState, adjustment: number): PortfolioState {
  if (!Number.isSafeInteger(adjustment)) throw new MoneyError(`charges adjustment must be whole paise, got ${adjustment}`);
  return {
    ...state,
    cash: safe(state.cash - adjustment, 'cash'),
    chargesPaid: safe(state.chargesPaid + adjustment, 'charges'),
    chargesAdjustment: safe((state.chargesAdjustment ?? 0) + adjustment, 'charges adjustment'),
  };
}

/** Takes the tick's last price for an instrument the portfolio holds or has traded. */
export function markToMarket(state: PortfolioState, tick: Tick): PortfolioState {
  const key = String(tick.instrumentToken);
  if (!(key in state.positions)) return state;
  return { ...state, lastPrices: { ...state.lastPrices, [key]: tick.lastPrice } };
}

export function unrealizedPnlOf(position: PositionState, lastPrice: number | undefined): number {
  if (position.quantity === 0 || lastPrice === undefined) return 0;
  return position.quantity * lastPrice - position.costBasis;
}

/** Average entry price for display: cost basis / quantity, rounded; 0 when flat. */
export function averagePriceOf(position: PositionState): number {
  return position.quantity === 0 ? 0 : divideRounded(Math.abs(position.costBasis), Math.abs(position.quantity));
}

export function snapshot(state: PortfolioState, strategyId: string, asOf: string): PnlSnapshot {
  const positions = Object.values(state.positions)
    .sort((a, b) => a.instrumentToken - b.instrumentToken)
    .map((position) => {
      const lastPrice = state.lastPrices[String(position.instrumentToken)] ?? 0;
      return {
        instrumentToken: position.instrumentToken,
        quantity: position.quantity,
        averagePrice: averagePriceOf(position),
        lastPrice,
        realizedPnl: position.realizedPnl,
        unrealizedPnl: unrealizedPnlOf(position, lastPrice || undefined),
        ...(position.fillSequence === undefined ? {} : { fillSequence: position.fillSequence }),
      };
    });
  return {
    strategyId,
    cash: state.cash,
    realizedPnl: state.realizedPnl,
    unrealizedPnl: positions.reduce((sum, p) => sum + p.unrealizedPnl, 0),
    chargesPaid: state.chargesPaid,
    ...(state.chargesAdjustment === undefined ? {} : { chargesAdjustment: state.chargesAdjustment }),
    positions,
    asOf,
  };
}
