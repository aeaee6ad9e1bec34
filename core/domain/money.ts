// Money is kept as integer paise (1 rupee = 100 paise) so that sums are exact. Rates (charges,
// slippage) are rational numbers applied with one explicit rounding step.

declare const paiseBrand: unique symbol;
/** An exact amount of Indian rupees, in paise. */
export type Paise = number & { readonly [paiseBrand]: true };

export class MoneyError extends Error {
  override name = 'MoneyError';
}

export function paise(value: number): Paise {
  if (!Number.isSafeInteger(value)) throw new MoneyError(`paise must be a safe integer, got ${value}`);
  return value as Paise;
}

export const ZERO = paise(0);

/** Parses a rupee amount written in decimal ("1234.5", "-0.05") without going through floats. */
export function rupees(text: string | number): Paise {
  const source = typeof text === 'number' ? text.toFixed(2) : text.trim();
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(source);
  if (!match) throw new MoneyError(`not a rupee amount with at most 2 decimals: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ''] = match;
  const value = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return paise(sign ? -value : value);
}

/** "₹" formatting is left to the UI; this gives the plain decimal form, e.g. 123456 -> "1234.56". */
export function formatRupees(amount: Paise): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function add(...amounts: Paise[]): Paise {
  return paise(amounts.reduce((sum, amount) => sum + amount, 0));
}

export function subtract(a: Paise, b: Paise): Paise {
  return paise(a - b);
}

export function negate(a: Paise): Paise {
  return paise(-a);
}

/** Price times a whole quantity. */
export function times(price: Paise, quantity: number): Paise {
  if (!Number.isSafeInteger(quantity)) throw new MoneyError(`quantity must be an integer, got ${quantity}`);
  return paise(price * quantity);
}

/** A rate as an exact fraction, e.g. 0.025% = { numerator: 25, denominator: 100_000 }. */
export interface Rate {
  readonly numerator: number;
  readonly denominator: number;
}

export const basisPoints = (bps: number): Rate => ({ numerator: bps, denominator: 10_000 });

export type Rounding = 'half-up' | 'down' | 'up';

/** amount * rate, rounded once to whole paise (half away from zero by default). */
export function applyRate(amount: Paise, rate: Rate, rounding: Rounding = 'half-up'): Paise {
  // BigInt keeps the intermediate product exact however large the order is.
  const product = BigInt(amount) * BigInt(rate.numerator);
  const denominator = BigInt(rate.denominator);
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  let quotient = magnitude / denominator;
  const remainder = magnitude % denominator;
  if (rounding === 'half-up' && remainder * 2n >= denominator) quotient += 1n;
  if (rounding === 'up' && remainder > 0n) quotient += 1n;
  return paise(Number(negative ? -quotient : quotient));
}

/** Rounds a price to the instrument's tick size (both in paise), half away from zero. */
export function roundToTick(price: number, tickSize: Paise): Paise {
  if (tickSize <= 0) throw new MoneyError(`tick size must be positive, got ${tickSize}`);
  return paise(Math.round(price / tickSize) * tickSize);
}

export const min = (a: Paise, b: Paise): Paise => (a <= b ? a : b);
export const max = (a: Paise, b: Paise): Paise => (a >= b ? a : b);
