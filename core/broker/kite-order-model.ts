// Kite's orders, trades and positions as the platform reads them: zod schemas for what Kite (or
// kiteconnect, or the ticker's order updates) hands over, normalised to integer paise and
// instants. Pure: no I/O, so the status mapping and the tests share it.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatRupees, MoneyError, paise, type Paise } from '../domain/money';
import { kiteTimeToInstant } from './kite-client';

export const KITE_TAG_MAX_LENGTH = 20;
const TAG_PREFIX = 'AP';

/**
 * The Kite `tag` of a platform order: derived from the order id alone, so that the same order
 * processed again after a restart carries the same tag and can be found in Kite's order book
 * instead of being placed twice. Kite allows at most 20 characters; this uses only letters and
 * digits ("AP" and 18 base-36 digits of a SHA-256, about 93 bits).
 */
export function kiteTagFor(orderId: string): string {
  const digest = createHash('sha256').update(orderId).digest('hex');
  const value = BigInt(`0x${digest.slice(0, 32)}`) % 36n ** 18n;
  return TAG_PREFIX + value.toString(36).toUpperCase().padStart(KITE_TAG_MAX_LENGTH - TAG_PREFIX.length, '0');
}

/** Whether a tag has the form kiteTagFor gives: the order was placed by the platform. */
export const isPlatformTag = (tag: string | null): boolean => tag !== null && new RegExp(`^${TAG_PREFIX}[0-9A-Z]{${KITE_TAG_MAX_LENGTH - TAG_PREFIX.length}}$`).test(tag);

export const isValidKiteTag = (tag: string) => /^[A-Za-z0-9]{1,20}$/.test(tag);

/**
 * A price as Kite sends it (rupees as a binary float, e.g. 1500.25) in exact paise. Prices lie on
 * the paisa grid; a float that is not within rounding noise of it is refused rather than rounded.
 */
export function kitePriceToPaise(rupeeValue: number): Paise {
  const scaled = rupeeValue * 100;
  const rounded = Math.round(scaled);
  if (!Number.isFinite(scaled) || Math.abs(scaled - rounded) > 1e-6 * Math.max(1, Math.abs(scaled))) {
    throw new MoneyError(`not a price in whole paise: ${rupeeValue}`);
  }
  return paise(rounded);
}

/** A rupee amount that may carry float noise (sums, P&L, averages), to the nearest paisa. */
export const kiteAmountToPaise = (rupeeValue: number): Paise => paise(Math.round(rupeeValue * 100));

/** Paise as the rupee number Kite expects (1500.25 for 150025). */
export const paiseToKitePrice = (amount: Paise): number => Number(formatRupees(amount));

/**
 * Price x quantity of an order's fills from Kite's average price, exactly as the decimal Kite
 * wrote (average prices may have more than two decimals), rounded once to whole paise.
 */
export function turnoverFromAverage(averagePrice: number, quantity: number): Paise {
  if (quantity === 0 || averagePrice === 0) return paise(0);
  const text = averagePrice.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new MoneyError(`not an average price: ${averagePrice}`);
  const fraction = match[2] ?? '';
  const numerator = BigInt(match[1]! + fraction) * BigInt(quantity) * 100n;
  const denominator = 10n ** BigInt(fraction.length);
  const quotient = numerator / denominator;
  return paise(Number(numerator % denominator >= (denominator + 1n) / 2n ? quotient + 1n : quotient));
}

// kiteconnect turns some timestamps into local-zone Dates; the ticker's updates carry IST text.
const kiteTime = z.union([z.date(), z.string()]).nullish();
const instant = (value: Date | string | null | undefined) => kiteTimeToInstant(value);
const text = z.union([z.string(), z.number()]).transform(String);

export const kiteOrderSchema = z.object({
  order_id: text,
  exchange_order_id: text.nullish(),
  status: z.string().min(1),
  status_message: z.string().nullish(),
  tag: z.string().nullish(),
  variety: z.string().nullish(),
  exchange: z.string().min(1),
  tradingsymbol: z.string().min(1),
  instrument_token: z.number().int(),
  transaction_type: z.enum(['BUY', 'SELL']),
  order_type: z.string().min(1),
  product: z.string().min(1),
  quantity: z.number().int().min(0),
  price: z.number().nullish(),
  trigger_price: z.number().nullish(),
  average_price: z.number().nullish(),
  filled_quantity: z.number().int().min(0).nullish(),
  pending_quantity: z.number().int().min(0).nullish(),
  cancelled_quantity: z.number().int().min(0).nullish(),
  order_timestamp: kiteTime,
  exchange_timestamp: kiteTime,
  exchange_update_timestamp: kiteTime,
});

export interface KiteOrder {
  orderId: string;
  exchangeOrderId: string | null;
  status: string;
  statusMessage: string | null;
  tag: string | null;
  variety: string;
  exchange: string;
  tradingsymbol: string;
  instrumentToken: number;
  side: 'BUY' | 'SELL';
  orderType: string;
  product: string;
  quantity: number;
  price: Paise;
  triggerPrice: Paise;
  /** Kite's average fill price in rupees, as sent (it may have more than two decimals). */
  averagePrice: number;
  filledQuantity: number;
  pendingQuantity: number;
  cancelledQuantity: number;
  /** Price x quantity of all fills so far, from the average price. */
  filledTurnover: Paise;
  orderTimestamp: Date | null;
  exchangeTimestamp: Date | null;
  exchangeUpdateTimestamp: Date | null;
}

/** An order-book row, history entry or order update (postback, ticker text frame), normalised. */
export function toKiteOrder(raw: z.infer<typeof kiteOrderSchema>): KiteOrder {
  const filledQuantity = raw.filled_quantity ?? 0;
  const averagePrice = raw.average_price ?? 0;
  return {
    orderId: raw.order_id,
    exchangeOrderId: raw.exchange_order_id ?? null,
    status: raw.status,
    statusMessage: raw.status_message || null,
    tag: raw.tag || null,
    variety: raw.variety ?? 'regular',
    exchange: raw.exchange,
    tradingsymbol: raw.tradingsymbol,
    instrumentToken: raw.instrument_token,
    side: raw.transaction_type,
    orderType: raw.order_type,
    product: raw.product,
    quantity: raw.quantity,
    price: kitePriceToPaise(raw.price ?? 0),
    triggerPrice: kitePriceToPaise(raw.trigger_price ?? 0),
    averagePrice,
    filledQuantity,
    pendingQuantity: raw.pending_quantity ?? 0,
    cancelledQuantity: raw.cancelled_quantity ?? 0,
    filledTurnover: turnoverFromAverage(averagePrice, filledQuantity),
    orderTimestamp: instant(raw.order_timestamp),
    exchangeTimestamp: instant(raw.exchange_timestamp),
    exchangeUpdateTimestamp: instant(raw.exchange_update_timestamp),
  };
}

/** Parses an order update as the ticker's text frame carries it (`{"type":"order","data":{...}}`'s data). */
export function parseKiteOrderUpdate(value: unknown): KiteOrder {
  return toKiteOrder(kiteOrderSchema.parse(value));
}

export const kiteTradeSchema = z.object({
  trade_id: text,
  order_id: text,
  exchange_order_id: text.nullish(),
  exchange: z.string().min(1),
  tradingsymbol: z.string().min(1),
  instrument_token: z.number().int(),
  product: z.string().min(1),
  transaction_type: z.enum(['BUY', 'SELL']),
  quantity: z.number().int().positive(),
  average_price: z.number().positive(),
  fill_timestamp: kiteTime,
  exchange_timestamp: kiteTime,
});

export interface KiteTrade {
  tradeId: string;
  orderId: string;
  exchangeOrderId: string | null;
  exchange: string;
  tradingsymbol: string;
  instrumentToken: number;
  product: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  /** The fill's price in exact paise. */
  price: Paise;
  filledAt: Date | null;
}

export function toKiteTrade(raw: z.infer<typeof kiteTradeSchema>): KiteTrade {
  return {
    tradeId: raw.trade_id,
    orderId: raw.order_id,
    exchangeOrderId: raw.exchange_order_id ?? null,
    exchange: raw.exchange,
    tradingsymbol: raw.tradingsymbol,
    instrumentToken: raw.instrument_token,
    product: raw.product,
    side: raw.transaction_type,
    quantity: raw.quantity,
    price: kitePriceToPaise(raw.average_price),
    filledAt: instant(raw.fill_timestamp ?? raw.exchange_timestamp),
  };
}

export const kitePositionSchema = z.object({
  exchange: z.string().min(1),
  tradingsymbol: z.string().min(1),
  instrument_token: z.number().int(),
  product: z.string().min(1),
  quantity: z.number().int(),
  overnight_quantity: z.number().int().nullish(),
  average_price: z.number(),
  last_price: z.number().nullish(),
  pnl: z.number().nullish(),
  realised: z.number().nullish(),
  unrealised: z.number().nullish(),
  buy_quantity: z.number().int().nullish(),
  buy_value: z.number().nullish(),
  sell_quantity: z.number().int().nullish(),
  sell_value: z.number().nullish(),
});

export const kitePositionsSchema = z.object({ net: z.array(kitePositionSchema), day: z.array(kitePositionSchema) });

export interface KitePosition {
  exchange: string;
  tradingsymbol: string;
  instrumentToken: number;
  product: string;
  /** Negative for a short. */
  quantity: number;
  overnightQuantity: number;
  /** Kite's average, to the nearest paisa (an average need not lie on the paisa grid). */
  averagePrice: Paise;
  lastPrice: Paise;
  pnl: Paise;
  realised: Paise;
  unrealised: Paise;
  buyQuantity: number;
  buyValue: Paise;
  sellQuantity: number;
  sellValue: Paise;
}

export function toKitePosition(raw: z.infer<typeof kitePositionSchema>): KitePosition {
  return {
    exchange: raw.exchange,
    tradingsymbol: raw.tradingsymbol,
    instrumentToken: raw.instrument_token,
    product: raw.product,
    quantity: raw.quantity,
    overnightQuantity: raw.overnight_quantity ?? 0,
    averagePrice: kiteAmountToPaise(raw.average_price),
    lastPrice: kiteAmountToPaise(raw.last_price ?? 0),
    pnl: kiteAmountToPaise(raw.pnl ?? 0),
    realised: kiteAmountToPaise(raw.realised ?? 0),
    unrealised: kiteAmountToPaise(raw.unrealised ?? 0),
    buyQuantity: raw.buy_quantity ?? 0,
    buyValue: kiteAmountToPaise(raw.buy_value ?? 0),
    sellQuantity: raw.sell_quantity ?? 0,
    sellValue: kiteAmountToPaise(raw.sell_value ?? 0),
  };
}
