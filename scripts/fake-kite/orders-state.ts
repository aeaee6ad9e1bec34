// The fake's order book: orders, their status history, trades, instrument prices and positions
// opened outside the platform. Prices are kept in integer paise and turned into Kite's rupee
// numbers only when an order is shown. Lifecycles follow Kite's statuses: an order passes
// PUT ORDER REQ RECEIVED, VALIDATION PENDING and OPEN PENDING, then rests OPEN (or TRIGGER PENDING
// for stops) until the price reaches it, and ends COMPLETE, CANCELLED or REJECTED. Every status
// change is kept in the order's history and handed to the order-update listeners.
import { createHash } from 'node:crypto';
import { paise, type Paise } from '../../core/domain/money';
import { formatKiteTime } from './kite-http';
import {
  checkModification,
  checkPlacement,
  type OrderFields,
  type OrderRefusal,
  type ParsedOrder,
} from './order-validation';

export type { OrderRefusal } from './order-validation';

export const ORDER_RATE_LIMIT_PER_SECOND = 10;
export const TOO_MANY_REQUESTS = 'Too many requests';

export interface FakeInstrument {
  instrumentToken: number;
  exchange: string;
  tradingsymbol: string;
  /** Last traded price in paise; undefined until one is set. */
  price?: Paise;
}

/** A few NSE equities with their real instrument tokens, so manual runs work without setup. */
export const DEFAULT_INSTRUMENTS: readonly FakeInstrument[] = [
  { instrumentToken: 738561, exchange: 'NSE', tradingsymbol: 'RELIANCE', price: paise(125_000) },
  { instrumentToken: 408065, exchange: 'NSE', tradingsymbol: 'INFY', price: paise(150_000) },
  { instrumentToken: 2953217, exchange: 'NSE', tradingsymbol: 'TCS', price: paise(350_000) },
  { instrumentToken: 341249, exchange: 'NSE', tradingsymbol: 'HDFCBANK', price: paise(170_000) },
  { instrumentToken: 779521, exchange: 'NSE', tradingsymbol: 'SBIN', price: paise(80_000) },
];

export interface FakeOrder extends ParsedOrder {
  orderId: string;
  exchangeOrderId: string | null;
  instrumentToken: number;
  status: string;
  statusMessage: string | null;
  filledQuantity: number;
  /** Sum of price x quantity of the fills, in paise. */
  filledTurnover: number;
  cancelledQuantity: number;
  orderTimestamp: Date;
  exchangeTimestamp: Date | null;
  exchangeUpdateTimestamp: Date | null;
  placedBy: string;
  guid: string;
  /** Kite's order JSON after each status change. */
  history: Record<string, unknown>[];
}

export interface FakeTrade {
  tradeId: string;
  orderId: string;
  exchangeOrderId: string;
  exchange: string;
  tradingsymbol: string;
  instrumentToken: number;
  product: string;
  transactionType: 'BUY' | 'SELL';
  quantity: number;
  price: Paise;
  fillTimestamp: Date;
  orderTimestamp: Date;
  exchangeTimestamp: Date;
}

/** A position carried from an earlier day: it shows in `net` only, with its overnight quantity. */
export interface CarriedPosition {
  exchange: string;
  tradingsymbol: string;
  instrumentToken: number;
  product: string;
  /** Negative for a short. */
  quantity: number;
  averagePrice: Paise;
}

export interface OutsidePosition {
  /** Instrument token or tradingsymbol (optionally `EXCHANGE:SYMBOL`). */
  instrument: number | string;
  /** Negative for a short. */
  quantity: number;
  averagePrice: number;
  product?: string;
  /** Carried from an earlier day (net only) instead of traded today from Kite's web app. */
  overnight?: boolean;
}

/** Kite's order-update payload (what postbacks and the ticker's text frames carry). */
export type KiteOrderUpdate = Record<string, unknown>;
export type OrderUpdateListener = (update: KiteOrderUpdate) => void;

export interface FakeKiteOrdersOptions {
  userId: string;
  /** Signs order updates like Kite's postbacks: SHA-256 of order_id + order_timestamp + secret. */
  apiSecret: string;
  now: () => Date;
  /** Clock for the per-second order limit; monotonic milliseconds. */
  monotonicNow?: () => number;
  instruments?: readonly FakeInstrument[];
}

type Outcome<T> = ({ ok: true } & T) | ({ ok: false } & OrderRefusal);

const OPEN_STATUSES = new Set(['OPEN', 'TRIGGER PENDING', 'AMO REQ RECEIVED']);

export class FakeKiteOrders {
  private readonly orders = new Map<string, FakeOrder>();
  private readonly trades: FakeTrade[] = [];
  private readonly carried: CarriedPosition[] = [];
  private readonly instruments = new Map<string, FakeInstrument>();
  private readonly listeners = new Set<OrderUpdateListener>();
  private readonly rejections: string[] = [];
  private readonly admitted: number[] = [];
  private readonly orderRequests = { admitted: 0, rateLimited: 0 };
  private readonly monotonicNow: () => number;
  private sequence = 0;

  constructor(private readonly options: FakeKiteOrdersOptions) {
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    for (const instrument of options.instruments ?? DEFAULT_INSTRUMENTS) this.instruments.set(keyOf(instrument), { ...instrument });
  }

  /**
   * Kite's order limit: 10 order requests (place, modify, cancel) per second per account; the
   * rest are answered 429. Only admitted requests count, like a sliding window.
   */
  admitOrderRequest(): boolean {
    const now = this.monotonicNow();
    while (this.admitted.length > 0 && this.admitted[0]! <= now - 1000) this.admitted.shift();
    if (this.admitted.length >= ORDER_RATE_LIMIT_PER_SECOND) {
      this.orderRequests.rateLimited += 1;
      return false;
    }
    this.admitted.push(now);
    this.orderRequests.admitted += 1;
    return true;
  }

  /** Order requests (place, modify, cancel) so far: admitted, and answered 429 over the limit. */
  orderRequestCounts(): { admitted: number; rateLimited: number } {
    return { ...this.orderRequests };
  }

  /** Sets an instrument's last price (registering it if new) and lets resting orders react. */
  setPrice(instrument: number | string, price: number): void {
    const known = this.instrument(instrument) ?? this.register(instrument);
    known.price = paise(price);
    for (const order of this.orders.values()) {
      if (order.instrumentToken === known.instrumentToken && OPEN_STATUSES.has(order.status)) this.evaluate(order, false);
    }
  }

  priceOf(instrument: number | string): Paise | undefined {
    return this.instrument(instrument)?.price;
  }

  /** The next order placed is rejected by the "RMS" with this status_message. */
  rejectNextOrder(message: string): void {
    this.rejections.push(message);
  }

  onOrderUpdate(listener: OrderUpdateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  place(variety: string, fields: OrderFields): Outcome<{ orderId: string }> {
    const checked = checkPlacement(variety, fields);
    if (!checked.ok) return checked;
    const instrument = this.instrument(`${checked.order.exchange}:${checked.order.tradingsymbol}`);
    if (!instrument) return { ok: false, status: 400, errorType: 'InputException', message: 'Invalid `tradingsymbol`.' };
    const now = this.options.now();
    const orderId = this.nextOrderId(now);
    const order: FakeOrder = {
      ...checked.order,
      orderId,
      exchangeOrderId: null,
      instrumentToken: instrument.instrumentToken,
      status: '',
      statusMessage: null,
      filledQuantity: 0,
      filledTurnover: 0,
      cancelledQuantity: 0,
      orderTimestamp: now,
      exchangeTimestamp: null,
      exchangeUpdateTimestamp: null,
      placedBy: this.options.userId,
      guid: `${this.options.userId}${orderId}`,
      history: [],
    };
    this.orders.set(orderId, order);
    if (order.variety === 'amo') {
      // After-market orders wait for the next session; the fake keeps them there.
      this.transition(order, 'AMO REQ RECEIVED');
      return { ok: true, orderId };
    }
    this.transition(order, 'PUT ORDER REQ RECEIVED');
    this.transition(order, 'VALIDATION PENDING');
    const rejection = this.rejections.shift();
    if (rejection !== undefined) {
      this.transition(order, 'REJECTED', rejection);
      return { ok: true, orderId };
    }
    this.transition(order, 'OPEN PENDING');
    order.exchangeOrderId = `13000000${String(this.sequence).padStart(8, '0')}`;
    order.exchangeTimestamp = now;
    if (order.orderType === 'SL' || order.orderType === 'SL-M') {
      if (instrument.price !== undefined && triggerReached(order, instrument.price)) {
        const side = order.transactionType === 'BUY' ? 'higher' : 'lower';
        this.transition(order, 'REJECTED', `Trigger price for stoploss ${order.transactionType.toLowerCase()} orders should be ${side} than the last traded price.`);
        return { ok: true, orderId };
      }
      this.transition(order, 'TRIGGER PENDING');
    } else {
      this.transition(order, 'OPEN');
    }
    this.evaluate(order, true);
    return { ok: true, orderId };
  }

  modify(variety: string, orderId: string, fields: OrderFields): Outcome<{ orderId: string }> {
    const order = this.orders.get(orderId);
    if (!order || order.variety !== variety) return orderNotFound();
    if (!OPEN_STATUSES.has(order.status)) {
      return { ok: false, status: 400, errorType: 'OrderException', message: `Order cannot be modified as it is ${order.status.toLowerCase()}.` };
    }
    const checked = checkModification(order, fields);
    if (!checked.ok) return checked;
    const resting = order.status;
    this.transition(order, 'MODIFY VALIDATION PENDING');
    this.transition(order, 'MODIFY PENDING');
    Object.assign(order, checked.changes);
    const stop = order.orderType === 'SL' || order.orderType === 'SL-M';
    this.transition(order, resting === 'AMO REQ RECEIVED' ? resting : stop && resting === 'TRIGGER PENDING' ? 'TRIGGER PENDING' : 'OPEN');
    this.evaluate(order, true);
    return { ok: true, orderId };
  }

  cancel(variety: string, orderId: string): Outcome<{ orderId: string }> {
    const order = this.orders.get(orderId);
    if (!order || order.variety !== variety) return orderNotFound();
    if (!OPEN_STATUSES.has(order.status)) {
      return { ok: false, status: 400, errorType: 'OrderException', message: `Order cannot be cancelled as it is ${order.status.toLowerCase()}.` };
    }
    this.transition(order, 'CANCEL PENDING');
    order.cancelledQuantity = order.quantity - order.filledQuantity;
    this.transition(order, 'CANCELLED');
    return { ok: true, orderId };
  }

  /** A trade made outside the platform (Kite's web app, a dealer) or a position carried overnight. */
  openPosition(position: OutsidePosition): void {
    const instrument = this.instrument(position.instrument) ?? this.register(position.instrument);
    const quantity = Math.abs(position.quantity);
    if (!Number.isSafeInteger(position.quantity) || quantity === 0) throw new Error('openPosition needs a non-zero whole quantity');
    const product = position.product ?? 'CNC';
    if (position.overnight) {
      this.carried.push({ ...instrument, product, quantity: position.quantity, averagePrice: paise(position.averagePrice) });
      return;
    }
    const now = this.options.now();
    const orderId = this.nextOrderId(now);
    const order: FakeOrder = {
      variety: 'regular',
      exchange: instrument.exchange,
      tradingsymbol: instrument.tradingsymbol,
      transactionType: position.quantity > 0 ? 'BUY' : 'SELL',
      orderType: 'MARKET',
      product,
      validity: 'DAY',
      quantity,
      price: paise(0),
      triggerPrice: paise(0),
      disclosedQuantity: 0,
      marketProtection: -1,
      tag: null,
      orderId,
      exchangeOrderId: `13000000${String(this.sequence).padStart(8, '0')}`,
      instrumentToken: instrument.instrumentToken,
      status: 'OPEN',
      statusMessage: null,
      filledQuantity: 0,
      filledTurnover: 0,
      cancelledQuantity: 0,
      orderTimestamp: now,
      exchangeTimestamp: now,
      exchangeUpdateTimestamp: now,
      placedBy: this.options.userId,
      guid: `web${orderId}`,
      history: [],
    };
    this.orders.set(orderId, order);
    this.fill(order, paise(position.averagePrice));
  }

  listOrders(): FakeOrder[] {
    return [...this.orders.values()];
  }

  order(orderId: string): FakeOrder | undefined {
    return this.orders.get(orderId);
  }

  listTrades(): FakeTrade[] {
    return [...this.trades];
  }

  carriedPositions(): CarriedPosition[] {
    return [...this.carried];
  }

  lastPrice(instrumentToken: number): Paise | undefined {
    return this.instrument(instrumentToken)?.price;
  }

  /** Kite's order JSON, as in GET /orders and the entries of GET /orders/:id. */
  orderJson(order: FakeOrder): Record<string, unknown> {
    const time = (value: Date | null) => (value === null ? null : formatKiteTime(value));
    return {
      placed_by: order.placedBy,
      order_id: order.orderId,
      exchange_order_id: order.exchangeOrderId,
      parent_order_id: null,
      status: order.status,
      status_message: order.statusMessage,
      status_message_raw: order.statusMessage,
      order_timestamp: formatKiteTime(order.orderTimestamp),
      exchange_update_timestamp: time(order.exchangeUpdateTimestamp),
      exchange_timestamp: time(order.exchangeTimestamp),
      variety: order.variety,
      modified: order.history.some((entry) => entry.status === 'MODIFY PENDING'),
      exchange: order.exchange,
      tradingsymbol: order.tradingsymbol,
      instrument_token: order.instrumentToken,
      order_type: order.orderType,
      transaction_type: order.transactionType,
      validity: order.validity,
      validity_ttl: 0,
      product: order.product,
      quantity: order.quantity,
      disclosed_quantity: order.disclosedQuantity,
      price: order.price / 100,
      trigger_price: order.triggerPrice / 100,
      average_price: order.filledQuantity === 0 ? 0 : order.filledTurnover / order.filledQuantity / 100,
      filled_quantity: order.filledQuantity,
      pending_quantity: order.status === 'CANCELLED' || order.status === 'REJECTED' ? 0 : order.quantity - order.filledQuantity,
      cancelled_quantity: order.cancelledQuantity,
      market_protection: order.marketProtection,
      meta: {},
      tag: order.tag,
      tags: order.tag === null ? [] : [order.tag],
      guid: order.guid,
    };
  }

  private transition(order: FakeOrder, status: string, message: string | null = null): void {
    order.status = status;
    order.statusMessage = message;
    if (order.exchangeTimestamp !== null) order.exchangeUpdateTimestamp = this.options.now();
    const snapshot = this.orderJson(order);
    order.history.push(snapshot);
    const orderTimestamp = snapshot.order_timestamp as string;
    const update: KiteOrderUpdate = {
      ...snapshot,
      user_id: this.options.userId,
      unfilled_quantity: 0,
      app_id: 1,
      checksum: createHash('sha256').update(order.orderId + orderTimestamp + this.options.apiSecret).digest('hex'),
      account_id: this.options.userId,
    };
    for (const listener of this.listeners) {
      // A listener that throws (a closed socket, say) must not break the order book.
      try {
        listener(update);
      } catch {
        // ignored on purpose
      }
    }
  }

  /**
   * Moves an open order on at the instrument's price. `arriving` is true when the order has just
   * reached the book (placement, modification): a marketable limit then fills at the market
   * price; a limit resting in the book fills at its own price when the market trades through it.
   */
  private evaluate(order: FakeOrder, arriving: boolean): void {
    const price = this.lastPrice(order.instrumentToken);
    if (price === undefined || order.status === 'AMO REQ RECEIVED') return;
    if (order.status === 'TRIGGER PENDING') {
      if (!triggerReached(order, price)) return;
      this.transition(order, 'OPEN');
      arriving = true;
    }
    if (order.status !== 'OPEN') return;
    if (order.orderType === 'MARKET' || order.orderType === 'SL-M') return this.fill(order, price);
    const crosses = order.transactionType === 'BUY' ? price <= order.price : price >= order.price;
    if (crosses) this.fill(order, arriving ? price : order.price);
  }

  private fill(order: FakeOrder, price: Paise): void {
    const quantity = order.quantity - order.filledQuantity;
    const now = this.options.now();
    this.trades.push({
      tradeId: String(10_000_000 + this.trades.length + 1),
      orderId: order.orderId,
      exchangeOrderId: order.exchangeOrderId ?? '',
      exchange: order.exchange,
      tradingsymbol: order.tradingsymbol,
      instrumentToken: order.instrumentToken,
      product: order.product,
      transactionType: order.transactionType,
      quantity,
      price,
      fillTimestamp: now,
      orderTimestamp: order.orderTimestamp,
      exchangeTimestamp: order.exchangeTimestamp ?? now,
    });
    order.filledQuantity += quantity;
    order.filledTurnover += price * quantity;
    this.transition(order, 'COMPLETE');
  }

  private instrument(reference: number | string): FakeInstrument | undefined {
    if (typeof reference === 'number') return [...this.instruments.values()].find((i) => i.instrumentToken === reference);
    const [exchange, symbol] = reference.includes(':') ? reference.split(':', 2) : [undefined, reference];
    return [...this.instruments.values()].find((i) => i.tradingsymbol === symbol && (exchange === undefined || i.exchange === exchange));
  }

  /** Registers an instrument the fake did not know: NSE unless the name says otherwise. */
  private register(reference: number | string): FakeInstrument {
    const [exchange, tradingsymbol] =
      typeof reference === 'number' ? ['NSE', `TOKEN${reference}`] : reference.includes(':') ? reference.split(':', 2) : ['NSE', reference];
    const instrumentToken = typeof reference === 'number' ? reference : 1 + (createHash('sha256').update(`${exchange}:${tradingsymbol}`).digest().readUInt32BE(0) % 2_000_000_000);
    const instrument: FakeInstrument = { instrumentToken, exchange: exchange!, tradingsymbol: tradingsymbol! };
    this.instruments.set(keyOf(instrument), instrument);
    return instrument;
  }

  /** Kite's order ids are numeric text that starts with the date (YYMMDD). */
  private nextOrderId(now: Date): string {
    this.sequence += 1;
    const day = formatKiteTime(now).slice(2, 10).replaceAll('-', '');
    return `${day}${String(this.sequence).padStart(9, '0')}`;
  }
}

function keyOf(instrument: FakeInstrument): string {
  return `${instrument.exchange}:${instrument.tradingsymbol}`;
}

function triggerReached(order: FakeOrder, price: Paise): boolean {
  return order.transactionType === 'BUY' ? price >= order.triggerPrice : price <= order.triggerPrice;
}

function orderNotFound(): { ok: false } & OrderRefusal {
  return { ok: false, status: 400, errorType: 'OrderException', message: "Couldn't find that `order_id`." };
}
