// The Kite order client: the adapter over kiteconnect's order, trade and position calls. Requests
// carry prices in paise and answers come back in paise (see ./kite-order-model); every failure is
// a KiteError whose message is safe to show. Order requests (place, modify, cancel) wait in a
// rate limiter at Kite's limits, shared by every client of the same API key in this process; the
// reads wait in another at Kite's limit for the other endpoints. Every call that reaches Kite is
// counted by the meter given, if any (./kite-calls).
//
// kiteconnect's placeOrder form-encodes every parameter it is given, so `market_protection`
// reaches Kite although its type definitions do not list it; the request is built with the extra
// field and handed over as a value of the wider type.
import { KiteConnect, type Connect } from 'kiteconnect';
import { z } from 'zod';
import type { Config } from '../config/load';
import type { Paise } from '../domain/money';
import { meteredCall, type KiteCallMeter, type KiteEndpoint } from './kite-calls';
import { KiteError, toKiteError } from './kite-error';
import {
  isValidKiteTag,
  kiteOrderSchema,
  kitePositionsSchema,
  kiteTradeSchema,
  paiseToKitePrice,
  toKiteOrder,
  toKitePosition,
  toKiteTrade,
  type KiteOrder,
  type KitePosition,
  type KiteTrade,
} from './kite-order-model';
import { KITE_ORDER_LIMITS, KITE_READ_LIMITS, RateLimiter } from './rate-limiter';

export { kiteTagFor, type KiteOrder, type KitePosition, type KiteTrade } from './kite-order-model';

export type KiteVariety = 'regular' | 'amo' | 'co' | 'iceberg' | 'auction';
export type KiteOrderType = 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';

/** Automatic market protection: Kite picks the band (exchange rules since April 2026). */
export const DEFAULT_MARKET_PROTECTION = -1;

export interface KiteOrderRequest {
  /** From kiteTagFor(orderId): how a placed order is found again after a restart. */
  tag: string;
  exchange: string;
  tradingsymbol: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  product: string;
  orderType: KiteOrderType;
  /** LIMIT and SL. */
  limitPrice?: Paise;
  /** SL and SL-M. */
  triggerPrice?: Paise;
  validity?: 'DAY' | 'IOC';
  variety?: KiteVariety;
  /** MARKET and SL-M only: -1 automatic (the default), else a percentage in (0, 100]. */
  marketProtection?: number;
}

export interface KiteOrderChanges {
  quantity?: number;
  orderType?: KiteOrderType;
  limitPrice?: Paise;
  triggerPrice?: Paise;
  validity?: 'DAY' | 'IOC';
  marketProtection?: number;
}

export interface PlaceResult {
  orderId: string;
  /** True when recovering found the order already in Kite's book under its tag. */
  alreadyPlaced: boolean;
}

export interface KiteOrderClientOptions {
  apiKey: string;
  apiRoot: string;
  accessToken: string;
  /** Values to keep out of error messages besides the access token (e.g. the API secret). */
  secrets?: readonly string[];
  orderLimiter?: RateLimiter;
  readLimiter?: RateLimiter;
  timeoutMs?: number;
  /** Counts each call by endpoint and outcome. */
  meter?: KiteCallMeter;
}

type PlaceParams = Parameters<Connect['placeOrder']>[1] & { market_protection?: number };
type ModifyParams = Parameters<Connect['modifyOrder']>[2] & { market_protection?: number };

const RATE_LIMITED_ATTEMPTS = 3;
const orderIdResponse = z.object({ order_id: z.union([z.string(), z.number()]).transform(String) });
const limiters = new Map<string, { orders: RateLimiter; reads: RateLimiter }>();

/** The limiters of one Kite account (API key) in this process: Kite counts per account. */
function sharedLimiters(apiKey: string) {
  let shared = limiters.get(apiKey);
  if (!shared) {
    shared = { orders: new RateLimiter(KITE_ORDER_LIMITS), reads: new RateLimiter(KITE_READ_LIMITS) };
    limiters.set(apiKey, shared);
  }
  return shared;
}

export function createKiteOrderClient(config: Config, accessToken: string, options: Partial<KiteOrderClientOptions> = {}): KiteOrderClient {
  return new KiteOrderClient({
    apiKey: config.zerodha.apiKey,
    apiRoot: config.zerodha.apiRoot,
    accessToken,
    secrets: [config.zerodha.apiSecret],
    ...options,
  });
}

export class KiteOrderClient {
  private readonly kite: Connect;
  private readonly secrets: readonly string[];
  private readonly orderLimiter: RateLimiter;
  private readonly readLimiter: RateLimiter;
  private readonly meter: KiteCallMeter | undefined;

  constructor(options: KiteOrderClientOptions) {
    this.kite = new KiteConnect({ api_key: options.apiKey, root: options.apiRoot, access_token: options.accessToken, timeout: options.timeoutMs });
    this.secrets = [options.accessToken, ...(options.secrets ?? [])];
    const shared = options.orderLimiter && options.readLimiter ? undefined : sharedLimiters(options.apiKey);
    this.orderLimiter = options.orderLimiter ?? shared!.orders;
    this.readLimiter = options.readLimiter ?? shared!.reads;
    this.meter = options.meter;
  }

  /**
   * Places an order. When `recovering` (the order may have been placed before a crash or a lost
   * answer), the order book is searched for its tag first and the order is placed only if absent.
   * A network failure leaves it unknown whether Kite took the order: retry with `recovering`.
   */
  async placeOrder(request: KiteOrderRequest, options: { recovering?: boolean } = {}): Promise<PlaceResult> {
    const params = placeParams(request);
    if (options.recovering) {
      const existing = await this.findOrderByTag(request.tag);
      if (existing) return { orderId: existing.orderId, alreadyPlaced: true };
    }
    const variety = request.variety ?? 'regular';
    const answer = await this.orderCall('POST /orders/:variety', () => this.kite.placeOrder(variety, { ...params }));
    return { orderId: this.parse(orderIdResponse, answer, 'place order').order_id, alreadyPlaced: false };
  }

  async modifyOrder(orderId: string, changes: KiteOrderChanges, variety: KiteVariety = 'regular'): Promise<{ orderId: string }> {
    const params: ModifyParams = {};
    if (changes.quantity !== undefined) params.quantity = positiveQuantity(changes.quantity);
    if (changes.orderType !== undefined) params.order_type = changes.orderType;
    if (changes.limitPrice !== undefined) params.price = paiseToKitePrice(changes.limitPrice);
    if (changes.triggerPrice !== undefined) params.trigger_price = paiseToKitePrice(changes.triggerPrice);
    if (changes.validity !== undefined) params.validity = changes.validity;
    if (changes.orderType === 'MARKET' || changes.orderType === 'SL-M' || changes.marketProtection !== undefined) {
      params.market_protection = marketProtection(changes.marketProtection);
    }
    const answer = await this.orderCall('PUT /orders/:variety/:order_id', () => this.kite.modifyOrder(variety, orderId, params));
    return { orderId: this.parse(orderIdResponse, answer, 'modify order').order_id };
  }

  async cancelOrder(orderId: string, variety: KiteVariety = 'regular'): Promise<{ orderId: string }> {
    const answer = await this.orderCall('DELETE /orders/:variety/:order_id', () => this.kite.cancelOrder(variety, orderId));
    return { orderId: this.parse(orderIdResponse, answer, 'cancel order').order_id };
  }

  /** The day's order book, in Kite's order. */
  async getOrders(): Promise<KiteOrder[]> {
    return this.parse(z.array(kiteOrderSchema), await this.readCall('GET /orders', () => this.kite.getOrders()), 'orders').map(toKiteOrder);
  }

  /** Every status the order went through, oldest first. */
  async getOrderHistory(orderId: string): Promise<KiteOrder[]> {
    return this.parse(z.array(kiteOrderSchema), await this.readCall('GET /orders/:order_id', () => this.kite.getOrderHistory(orderId)), 'order history').map(toKiteOrder);
  }

  async getTrades(): Promise<KiteTrade[]> {
    return this.parse(z.array(kiteTradeSchema), await this.readCall('GET /trades', () => this.kite.getTrades()), 'trades').map(toKiteTrade);
  }

  async getOrderTrades(orderId: string): Promise<KiteTrade[]> {
    return this.parse(z.array(kiteTradeSchema), await this.readCall('GET /orders/:order_id/trades', () => this.kite.getOrderTrades(orderId)), 'order trades').map(toKiteTrade);
  }

  async getPositions(): Promise<{ net: KitePosition[]; day: KitePosition[] }> {
    const positions = this.parse(kitePositionsSchema, await this.readCall('GET /portfolio/positions', () => this.kite.getPositions()), 'positions');
    return { net: positions.net.map(toKitePosition), day: positions.day.map(toKitePosition) };
  }

  /** The day's order carrying this tag, if Kite has one (the first, should there be several). */
  async findOrderByTag(tag: string): Promise<KiteOrder | undefined> {
    return (await this.getOrders()).find((order) => order.tag === tag);
  }

  /**
   * A 429 means Kite refused the request before acting on it (another process on the same
   * account, say), so it is safe to queue it again; it is retried a few times, then reported.
   */
  private async orderCall<T>(endpoint: KiteEndpoint, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.orderLimiter.schedule(() => this.call(endpoint, call));
      } catch (error) {
        if (!(error instanceof KiteError) || error.kind !== 'rate-limited' || attempt >= RATE_LIMITED_ATTEMPTS) throw error;
      }
    }
  }

  private readCall<T>(endpoint: KiteEndpoint, call: () => Promise<T>): Promise<T> {
    return this.readLimiter.schedule(() => this.call(endpoint, call));
  }

  /** One request to Kite, counted (each retry of a 429 is a call of its own). */
  private call<T>(endpoint: KiteEndpoint, call: () => Promise<T>): Promise<T> {
    return meteredCall(
      this.meter,
      endpoint,
      async () => {
        const result = await call();
        // kiteconnect resolves, rather than rejects, with `{ error_type, message }` when a
        // response is not JSON (a proxy's error page, say).
        if (result !== null && typeof result === 'object' && 'error_type' in result) throw result;
        return result;
      },
      (error) => toKiteError(error, this.secrets),
    );
  }

  private parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    // Name the fields, never echo the values.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))].slice(0, 5).join(', ');
    throw new KiteError('other', `Zerodha returned an unexpected ${what} response (fields: ${fields}).`);
  }
}

/** Kite's form fields for a placement, checked here so that a bad request never leaves. */
function placeParams(request: KiteOrderRequest): PlaceParams {
  if (!isValidKiteTag(request.tag)) throw new KiteError('input', 'The order tag must be 1 to 20 letters or digits.');
  const params: PlaceParams = {
    exchange: request.exchange as PlaceParams['exchange'],
    tradingsymbol: request.tradingsymbol,
    transaction_type: request.side,
    quantity: positiveQuantity(request.quantity),
    product: request.product as PlaceParams['product'],
    order_type: request.orderType,
    validity: request.validity ?? 'DAY',
    tag: request.tag,
  };
  if (request.orderType === 'LIMIT' || request.orderType === 'SL') {
    if (request.limitPrice === undefined || request.limitPrice <= 0) throw new KiteError('input', `A ${request.orderType} order needs a limit price.`);
    params.price = paiseToKitePrice(request.limitPrice);
  }
  if (request.orderType === 'SL' || request.orderType === 'SL-M') {
    if (request.triggerPrice === undefined || request.triggerPrice <= 0) throw new KiteError('input', `A ${request.orderType} order needs a trigger price.`);
    params.trigger_price = paiseToKitePrice(request.triggerPrice);
  }
  if (request.orderType === 'MARKET' || request.orderType === 'SL-M') params.market_protection = marketProtection(request.marketProtection);
  return params;
}

function marketProtection(value: number | undefined): number {
  const protection = value ?? DEFAULT_MARKET_PROTECTION;
  // Kite refuses 0 (no protection) on MARKET and SL-M orders.
  if (protection !== -1 && !(protection > 0 && protection <= 100)) {
    throw new KiteError('input', `market_protection must be -1 (automatic) or a percentage above 0 and at most 100, got ${protection}.`);
  }
  return protection;
}

function positiveQuantity(quantity: number): number {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new KiteError('input', `Quantity must be a positive whole number, got ${quantity}.`);
  return quantity;
}
