// What Kite checks on an order request before it reaches the RMS: required fields, known enum
// values, prices for the order type, the tag's length, and (since April 2026) market protection on
// MARKET and SL-M orders. Refusals are InputExceptions with 400, as Kite answers them.
import { MoneyError, paise, rupees, type Paise } from '../../core/domain/money';

export type OrderFields = Record<string, unknown>;

/** A refusal in Kite's vocabulary: HTTP status, `error_type` and a message. */
export interface OrderRefusal {
  status: 400 | 403 | 429;
  errorType: 'InputException' | 'OrderException' | 'NetworkException' | 'TokenException';
  message: string;
}

export interface ParsedOrder {
  variety: string;
  exchange: string;
  tradingsymbol: string;
  transactionType: 'BUY' | 'SELL';
  orderType: 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';
  product: string;
  validity: string;
  quantity: number;
  /** Limit price in paise; 0 when the order type has none. */
  price: Paise;
  triggerPrice: Paise;
  disclosedQuantity: number;
  /** -1 automatic, 1..100 a percentage; 0 where it does not apply. */
  marketProtection: number;
  tag: string | null;
}

export const VARIETIES = ['regular', 'amo', 'co', 'iceberg', 'auction'] as const;
const ORDER_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'] as const;
const PRODUCTS = ['CNC', 'NRML', 'MIS', 'MTF'] as const;
const VALIDITIES = ['DAY', 'IOC', 'TTL'] as const;
const EXCHANGES = ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'BCD', 'MCX'] as const;
export const TAG_MAX_LENGTH = 20;

/** Kite's answer to a MARKET or SL-M order without (or with 0) market protection. */
export const MARKET_PROTECTION_REQUIRED =
  'Market orders without market protection are not allowed via API. Please set market protection or use a Limit order.';

type Checked<T> = ({ ok: true } & T) | ({ ok: false } & OrderRefusal);

const input = (message: string): { ok: false } & OrderRefusal => ({ ok: false, status: 400, errorType: 'InputException', message });

export function checkPlacement(variety: string, fields: OrderFields): Checked<{ order: ParsedOrder }> {
  if (!(VARIETIES as readonly string[]).includes(variety)) return input('Invalid `variety`.');
  for (const name of ['exchange', 'tradingsymbol', 'transaction_type', 'order_type', 'quantity', 'product']) {
    if (text(fields[name]) === undefined) return input(`Missing or empty field \`${name}\`.`);
  }
  const exchange = text(fields.exchange)!;
  if (!(EXCHANGES as readonly string[]).includes(exchange)) return input('Invalid `exchange`.');
  const transactionType = text(fields.transaction_type);
  if (transactionType !== 'BUY' && transactionType !== 'SELL') return input('Invalid `transaction_type`.');
  const product = text(fields.product)!;
  if (!(PRODUCTS as readonly string[]).includes(product)) return input('Invalid `product`.');
  const validity = text(fields.validity) ?? 'DAY';
  if (!(VALIDITIES as readonly string[]).includes(validity)) return input('Invalid `validity`.');
  const tag = text(fields.tag) ?? null;
  if (tag !== null && tag.length > TAG_MAX_LENGTH) return input(`Invalid \`tag\`: at most ${TAG_MAX_LENGTH} characters.`);
  const disclosed = wholeNumber(fields.disclosed_quantity ?? '0');
  if (disclosed === undefined || disclosed < 0) return input('Invalid `disclosed_quantity`.');
  const base = { variety, exchange, tradingsymbol: text(fields.tradingsymbol)!, transactionType, product, validity, disclosedQuantity: disclosed, tag } as const;
  const rest = checkTerms({ orderType: undefined, quantity: 0, price: paise(0), triggerPrice: paise(0), marketProtection: 0, filledQuantity: 0 }, fields, true);
  if (!rest.ok) return rest;
  return { ok: true, order: { ...base, ...rest.terms } };
}

interface Terms {
  orderType: ParsedOrder['orderType'];
  quantity: number;
  price: Paise;
  triggerPrice: Paise;
  marketProtection: number;
}

/** The fields a modification may change, checked against the order as it stands. */
export function checkModification(
  order: ParsedOrder & { filledQuantity: number },
  fields: OrderFields,
): Checked<{ changes: Partial<ParsedOrder> }> {
  const checked = checkTerms(order, fields, false);
  if (!checked.ok) return checked;
  const validity = text(fields.validity) ?? order.validity;
  if (!(VALIDITIES as readonly string[]).includes(validity)) return input('Invalid `validity`.');
  return { ok: true, changes: { ...checked.terms, validity } };
}

/** Order type, quantity, prices and market protection: given fields override the current ones. */
function checkTerms(
  current: Omit<Terms, 'orderType'> & { orderType: Terms['orderType'] | undefined; filledQuantity: number },
  fields: OrderFields,
  placing: boolean,
): Checked<{ terms: Terms }> {
  const orderType = text(fields.order_type) ?? current.orderType;
  if (!(ORDER_TYPES as readonly string[]).includes(orderType ?? '')) return input('Invalid `order_type`.');
  const type = orderType as Terms['orderType'];
  const quantity = fields.quantity === undefined ? current.quantity : wholeNumber(fields.quantity);
  if (quantity === undefined || quantity <= 0) return input('Invalid `quantity`.');
  if (quantity < current.filledQuantity) return input('Quantity cannot be less than the filled quantity.');

  const needsPrice = type === 'LIMIT' || type === 'SL';
  const needsTrigger = type === 'SL' || type === 'SL-M';
  const price = needsPrice ? (fields.price === undefined && !placing ? current.price : rupeeAmount(fields.price)) : paise(0);
  if (needsPrice && (price === undefined || price <= 0)) return input('Invalid `price`.');
  const trigger = needsTrigger ? (fields.trigger_price === undefined && !placing ? current.triggerPrice : rupeeAmount(fields.trigger_price)) : paise(0);
  if (needsTrigger && (trigger === undefined || trigger <= 0)) return input('Invalid `trigger_price`.');

  let marketProtection = 0;
  if (type === 'MARKET' || type === 'SL-M') {
    const given = fields.market_protection === undefined ? (placing ? undefined : current.marketProtection) : Number(text(fields.market_protection));
    // Kite refuses both a missing value and 0; -1 asks for automatic protection.
    if (given === undefined || given === 0 || Number.isNaN(given)) return input(MARKET_PROTECTION_REQUIRED);
    if (given !== -1 && !(given > 0 && given <= 100)) return input('Invalid `market_protection`.');
    marketProtection = given;
  }
  return { ok: true, terms: { orderType: type, quantity, price: price!, triggerPrice: trigger!, marketProtection } };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function wholeNumber(value: unknown): number | undefined {
  const source = text(value);
  return source !== undefined && /^\d+$/.test(source) ? Number(source) : undefined;
}

function rupeeAmount(value: unknown): Paise | undefined {
  const source = text(value);
  if (source === undefined) return undefined;
  try {
    return rupees(source);
  } catch (error) {
    if (error instanceof MoneyError) return undefined;
    throw error;
  }
}
