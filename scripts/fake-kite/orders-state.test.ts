import { describe, expect, it } from 'vitest';
import { FakeKiteOrders, type KiteOrderUpdate } from './orders-state';
import { MARKET_PROTECTION_REQUIRED } from './order-validation';

function book(start = '2026-03-02T10:00:00+05:30') {
  const clock = { now: new Date(start), monotonic: 0 };
  const orders = new FakeKiteOrders({ userId: 'ZX1234', apiSecret: 'secret', now: () => clock.now, monotonicNow: () => clock.monotonic });
  const updates: KiteOrderUpdate[] = [];
  orders.onOrderUpdate((update) => updates.push(update));
  return { clock, orders, updates };
}

const buy = (extra: Record<string, string> = {}) => ({
  exchange: 'NSE',
  tradingsymbol: 'INFY',
  transaction_type: 'BUY',
  quantity: '10',
  product: 'MIS',
  order_type: 'MARKET',
  market_protection: '-1',
  ...extra,
});

function placed(outcome: ReturnType<FakeKiteOrders['place']>): string {
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.orderId;
}

describe('FakeKiteOrders', () => {
  it("completes a MARKET order at the instrument's price, through Kite's statuses", () => {
    const { orders, updates } = book();
    orders.setPrice('INFY', 150_025);
    const orderId = placed(orders.place('regular', buy({ tag: 'sig1' })));
    const order = orders.order(orderId)!;
    expect(order.history.map((entry) => entry.status)).toEqual(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING', 'OPEN', 'COMPLETE']);
    expect(orders.orderJson(order)).toMatchObject({ status: 'COMPLETE', average_price: 1500.25, filled_quantity: 10, pending_quantity: 0, tag: 'sig1', order_timestamp: '2026-03-02 10:00:00' });
    expect(updates.map((update) => update.status)).toEqual(order.history.map((entry) => entry.status));
    expect(updates.at(-1)).toMatchObject({ order_id: orderId, user_id: 'ZX1234', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(orders.listTrades()).toMatchObject([{ orderId, quantity: 10, price: 150_025 }]);
  });

  it('rests a LIMIT order until the price crosses it, then fills at the limit', () => {
    const { orders } = book();
    orders.setPrice('INFY', 150_000);
    const orderId = placed(orders.place('regular', buy({ order_type: 'LIMIT', price: '1490.5', market_protection: '' })));
    expect(orders.order(orderId)!.status).toBe('OPEN');
    orders.setPrice('INFY', 149_100);
    expect(orders.order(orderId)!.status).toBe('OPEN');
    orders.setPrice(408065, 148_000);
    expect(orders.orderJson(orders.order(orderId)!)).toMatchObject({ status: 'COMPLETE', average_price: 1490.5 });
  });

  it('triggers a stop, and rejects one whose trigger the price has already passed', () => {
    const { orders } = book();
    orders.setPrice('INFY', 150_000);
    const stop = placed(orders.place('regular', buy({ transaction_type: 'SELL', order_type: 'SL-M', trigger_price: '1480' })));
    expect(orders.order(stop)!.status).toBe('TRIGGER PENDING');
    orders.setPrice('INFY', 147_500);
    expect(orders.order(stop)!.history.map((entry) => entry.status).slice(-3)).toEqual(['TRIGGER PENDING', 'OPEN', 'COMPLETE']);
    expect(orders.listTrades().at(-1)).toMatchObject({ orderId: stop, price: 147_500 });

    const late = placed(orders.place('regular', buy({ order_type: 'SL', trigger_price: '1470', price: '1475', market_protection: '' })));
    expect(orders.order(late)).toMatchObject({ status: 'REJECTED', statusMessage: expect.stringContaining('higher than the last traded price') });
  });

  it('rejects the next order with the given status_message, once', () => {
    const { orders } = book();
    orders.rejectNextOrder('Insufficient funds. Required margin is 15002.50 but available margin is 100.00.');
    const rejected = orders.orderJson(orders.order(placed(orders.place('regular', buy())))!);
    expect(rejected).toMatchObject({ status: 'REJECTED', status_message: expect.stringContaining('Insufficient funds'), filled_quantity: 0, pending_quantity: 0 });
    expect(orders.order(placed(orders.place('regular', buy())))!.status).toBe('COMPLETE');
  });

  it('modifies and cancels open orders only', () => {
    const { orders } = book();
    orders.setPrice('INFY', 150_000);
    const orderId = placed(orders.place('regular', buy({ order_type: 'LIMIT', price: '1400', market_protection: '' })));
    expect(orders.modify('regular', orderId, { price: '1450', quantity: '5' }).ok).toBe(true);
    expect(orders.order(orderId)).toMatchObject({ status: 'OPEN', price: 145_000, quantity: 5 });
    expect(orders.cancel('regular', orderId).ok).toBe(true);
    expect(orders.orderJson(orders.order(orderId)!)).toMatchObject({ status: 'CANCELLED', cancelled_quantity: 5, pending_quantity: 0 });
    expect(orders.order(orderId)!.history.map((entry) => entry.status).slice(-5)).toEqual(['MODIFY VALIDATION PENDING', 'MODIFY PENDING', 'OPEN', 'CANCEL PENDING', 'CANCELLED']);
    expect(orders.cancel('regular', orderId)).toMatchObject({ ok: false, errorType: 'OrderException' });
    expect(orders.modify('regular', 'nosuchorder', {})).toMatchObject({ ok: false, errorType: 'OrderException' });
  });

  it('refuses MARKET and SL-M orders without market protection, or with 0', () => {
    const { orders } = book();
    const refused: Record<string, string>[] = [{ market_protection: '' }, { market_protection: '0' }, { order_type: 'SL-M', trigger_price: '1400', market_protection: '' }];
    for (const extra of refused) {
      expect(orders.place('regular', buy(extra))).toEqual({ ok: false, status: 400, errorType: 'InputException', message: MARKET_PROTECTION_REQUIRED });
    }
    expect(orders.place('regular', buy({ market_protection: '2' })).ok).toBe(true);
    expect(orders.listOrders()).toHaveLength(1);
  });

  it('refuses bad input before creating an order', () => {
    const { orders } = book();
    expect(orders.place('regular', buy({ tag: 'x'.repeat(21) }))).toMatchObject({ ok: false, errorType: 'InputException' });
    expect(orders.place('normal', buy())).toMatchObject({ ok: false, message: 'Invalid `variety`.' });
    expect(orders.place('regular', buy({ order_type: 'LIMIT', market_protection: '' }))).toMatchObject({ ok: false, message: 'Invalid `price`.' });
    expect(orders.place('regular', buy({ tradingsymbol: 'NOSUCH' }))).toMatchObject({ ok: false, message: 'Invalid `tradingsymbol`.' });
    expect(orders.listOrders()).toHaveLength(0);
  });

  it('admits 10 order requests per second and refuses the 11th', () => {
    const { clock, orders } = book();
    const admitted = Array.from({ length: 11 }, () => orders.admitOrderRequest());
    expect(admitted.filter(Boolean)).toHaveLength(10);
    expect(admitted[10]).toBe(false);
    clock.monotonic = 999;
    expect(orders.admitOrderRequest()).toBe(false);
    clock.monotonic = 1000;
    expect(orders.admitOrderRequest()).toBe(true);
    // Counted for tests that must prove no request went over the limit.
    expect(orders.orderRequestCounts()).toEqual({ admitted: 11, rateLimited: 2 });
  });

  it('opens positions outside the platform: a web order today, or carried overnight', () => {
    const { orders } = book();
    orders.openPosition({ instrument: 'SBIN', quantity: -5, averagePrice: 80_010, product: 'MIS' });
    orders.openPosition({ instrument: 'NSE:TATAPOWER', quantity: 20, averagePrice: 40_000, overnight: true });
    expect(orders.listOrders()).toMatchObject([{ tradingsymbol: 'SBIN', transactionType: 'SELL', status: 'COMPLETE', tag: null }]);
    expect(orders.listTrades()).toMatchObject([{ tradingsymbol: 'SBIN', quantity: 5, price: 80_010 }]);
    expect(orders.carriedPositions()).toMatchObject([{ tradingsymbol: 'TATAPOWER', exchange: 'NSE', quantity: 20 }]);
  });
});
