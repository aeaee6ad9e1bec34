// The positions the paper broker holds from its own fills, and the margin they block. Zerodha
// keeps a position per instrument and product (MIS intraday and CNC delivery apart), so the
// broker does too, per strategy: `strategyId:instrumentToken:product`.
//
// Margin, as Zerodha's RMS applies it to NSE equity (support.zerodha.com, "margin and leverage";
// SEBI's peak-margin rules since September 2021 cap intraday leverage at VAR + ELM, which
// Zerodha publishes as up to 5x, a 20% margin, for equity MIS):
//   - MIS (intraday) positions, long or short, block their value divided by the MIS leverage;
//     MIS short selling is allowed, on that margin.
//   - CNC (delivery) buys block their full value; CNC short selling is not allowed: a CNC SELL
//     beyond the CNC quantity held is rejected ("RMS:Rule: Check holdings").
// Free cash, what new exposure may use, is cash + for each open position (its cost - what it
// blocks). A long's cost was paid out of cash; a short's proceeds came into cash but are owed
// back, so they never become buying power. Positions count at cost, not marked to the market.
import { applyRate, formatRupees, paise } from '../money';
import type { Product, Side } from './charges';

export interface PaperPosition {
  strategyId: string;
  instrumentToken: number;
  tradingsymbol: string;
  product: Product;
  /** Signed: long > 0, short < 0; never 0 (a flat position is removed). */
  quantity: number;
  /** Cost of the open quantity in paise, signed like the quantity. */
  openValue: number;
  /** Event time of the fill that opened the position (or turned it from long to short). */
  openedAt: string;
}

/** positionKey -> open position. */
export type PositionBook = Record<string, PaperPosition>;

export const positionKey = (strategyId: string, instrumentToken: number, product: Product) =>
  `${strategyId}:${instrumentToken}:${product}`;

/** How much of the position an order of this side closes: a SELL closes a long, a BUY a short. */
export function reducible(position: PaperPosition | undefined, side: Side): number {
  if (!position) return 0;
  return side === 'SELL' ? Math.max(0, position.quantity) : Math.max(0, -position.quantity);
}

/** The part of an order's quantity that adds exposure (opens or extends a position). */
export const addedQuantity = (position: PaperPosition | undefined, side: Side, quantity: number) =>
  Math.max(0, quantity - reducible(position, side));

/** Margin that exposure of this value needs: all of it for CNC, value / leverage (rounded up) for MIS. */
export function marginFor(product: Product, value: number, misLeverage: number): number {
  if (product === 'CNC') return value;
  return applyRate(paise(value), { numerator: 1, denominator: misLeverage }, 'up');
}

/** Cash a position holds back from new exposure, minus its cost: what it adds to free cash. */
function freeContribution(position: PaperPosition | undefined, misLeverage: number): number {
  if (!position) return 0;
  return position.openValue - marginFor(position.product, Math.abs(position.openValue), misLeverage);
}

/** Cash a strategy can put into new exposure (before its open orders' reservations). */
export function freeCash(cash: number, positions: PositionBook, strategyId: string, misLeverage: number): number {
  let free = cash;
  for (const position of Object.values(positions)) {
    if (position.strategyId === strategyId) free += freeContribution(position, misLeverage);
  }
  return free;
}

export interface PositionFill {
  strategyId: string;
  instrumentToken: number;
  tradingsymbol: string;
  product: Product;
  side: Side;
  quantity: number;
  price: number;
}

/** value x part / whole, rounded half up, exact for any size. */
const share = (value: number, part: number, whole: number) => {
  const numerator = BigInt(value) * BigInt(part) * 2n + BigInt(whole) * (value < 0 ? -1n : 1n);
  return Number(numerator / (2n * BigInt(whole)));
};

/**
 * The position after a fill, at average cost: a fill in the position's direction adds its value;
 * one against it takes off its share of the cost, and what exceeds the position opens the other
 * way at the fill's price. Undefined when the position ends flat.
 */
export function positionAfter(position: PaperPosition | undefined, fill: PositionFill, at: string): PaperPosition | undefined {
  const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
  const held = position?.quantity ?? 0;
  const quantity = held + signed;
  if (quantity === 0) return undefined;
  const value = (fill.side === 'BUY' ? 1 : -1) * fill.price * fill.quantity;
  const identity = {
    strategyId: fill.strategyId,
    instrumentToken: fill.instrumentToken,
    tradingsymbol: fill.tradingsymbol,
    product: fill.product,
  };
  if (!position || Math.sign(held) === Math.sign(signed)) {
    return { ...identity, quantity, openValue: (position?.openValue ?? 0) + value, openedAt: position?.openedAt ?? at };
  }
  if (Math.sign(quantity) === Math.sign(held)) {
    const closed = Math.abs(signed);
    return { ...position, quantity, openValue: position.openValue - share(position.openValue, closed, Math.abs(held)) };
  }
  // Turned from long to short (or back): the rest opens at this fill's price.
  return { ...identity, quantity, openValue: Math.sign(quantity) * fill.price * Math.abs(quantity), openedAt: at };
}

/** The free cash a fill changes, given the position before and after it. */
export function freeCashChange(
  before: PaperPosition | undefined,
  after: PaperPosition | undefined,
  side: Side,
  turnover: number,
  charges: number,
  misLeverage: number,
): number {
  const cash = (side === 'BUY' ? -turnover : turnover) - charges;
  return cash + freeContribution(after, misLeverage) - freeContribution(before, misLeverage);
}

export const rupeesText = (amount: number) => `₹${formatRupees(paise(amount))}`;

/** Zerodha's RMS reason for a CNC sell of shares not held. */
export const holdingsReason = (quantity: number, held: number) =>
  `RMS:Rule: Check holdings: CNC sell of ${quantity} with ${held} held; short selling needs MIS`;
