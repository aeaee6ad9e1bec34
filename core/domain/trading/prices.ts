// Price arithmetic shared by strategies, risk and the fill model: moving a price by basis points
// and snapping it to the instrument's tick size, in exact integer arithmetic.
import { MoneyError, paise, type Paise } from '../money';

/**
 * `price` moved by `bps` basis points (negative moves down), rounded to the nearest multiple of
 * `tickSize`, half away from zero. Integer arithmetic only: no binary-float rounding surprises.
 */
export function offsetByBps(price: Paise, bps: number, tickSize: Paise): Paise {
  if (!Number.isInteger(bps)) throw new MoneyError(`basis points must be whole, got ${bps}`);
  if (!Number.isSafeInteger(tickSize) || tickSize <= 0) throw new MoneyError(`bad tick size ${tickSize}`);
  const numerator = BigInt(price) * BigInt(10_000 + bps);
  const denominator = BigInt(10_000 * tickSize);
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let ticks = magnitude / denominator;
  if ((magnitude % denominator) * 2n >= denominator) ticks += 1n;
  return paise(Number(negative ? -ticks : ticks) * tickSize);
}

/** |a - b| expressed in basis points of `reference` is at most `bps` (exact comparison). */
export function withinBps(a: Paise, b: Paise, reference: Paise, bps: number): boolean {
  return Math.abs(a - b) * 10_000 <= bps * reference;
}

/** (to - from) / from in basis points, as a float for display and confidence only. */
export function changeInBps(from: Paise, to: Paise): number {
  return ((to - from) * 10_000) / from;
}
