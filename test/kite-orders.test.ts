// Orders at Zerodha end to end: the Kite order client over the real kiteconnect client against the
// fake Kite server, its order book, rate limit and market-protection rule.
import { KiteConnect } from 'kiteconnect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdFor } from '../core/domain/ids';
import { paise } from '../core/domain/money';
import { KiteError, toKiteError } from '../core/broker/kite-error';
import { kiteOrderEvents, NO_PROGRESS, type KiteOrderContext, type KiteOrderEvent } from '../core/broker/kite-order-events';
import { parseKiteOrderUpdate } from '../core/broker/kite-order-model';
import { KiteOrderClient, kiteTagFor, type KiteOrder, type KiteOrderRequest } from '../core/broker/kite-orders';
import { MARKET_PROTECTION_REQUIRED } from '../scripts/fake-kite/order-validation';
import type { KiteOrderUpdate } from '../scripts/fake-kite/orders-state';
import { startFakeKite, type FakeKite } from '../scripts/fake-kite/server';

const apiKey = 'kiteorderskey01';
const apiSecret = 'kiteorderssecret0123456789';
let fake: FakeKite;
let accessToken: string;
let client: KiteOrderClient;
let sequence = 0;
const updates: KiteOrderUpdate[] = [];

beforeAll(async () => {
  fake = await startFakeKite({ port: 0, apiKey, apiSecret, user: { userId: 'AP4321' } });
  const session = await new KiteConnect({ api_key: apiKey, root: fake.url }).generateSession(fake.issueRequestToken(), apiSecret);
  accessToken = session.access_token;
  client = new KiteOrderClient({ apiKey, apiRoot: fake.url, accessToken, secrets: [apiSecret] });
  fake.onOrderUpdate((update) => updates.push(update));
});

afterAll(() => fake?.close());

/** A platform order id and its context, as the trading engine would derive them. */
function platformOrder(side: 'BUY' | 'SELL' = 'BUY') {
  sequence += 1;
  const orderId = orderIdFor(`0196f3a0-2222-7000-8000-${String(sequence).padStart(12, '0')}`);
  const context: KiteOrderContext = { orderId, strategyId: 'momentum-1', instrumentToken: 408065, tradingsymbol: 'INFY', side, product: 'MIS' };
  return { orderId, context, tag: kiteTagFor(orderId) };
}

const request = (tag: string, extra: Partial<KiteOrderRequest> = {}): KiteOrderRequest => ({
  tag,
  exchange: 'NSE',
  tradingsymbol: 'INFY',
  side: 'BUY',
  quantity: 5,
  product: 'MIS',
  orderType: 'MARKET',
  ...extra,
});

function eventsOf(context: KiteOrderContext, snapshots: KiteOrder[]): KiteOrderEvent[] {
  let progress = NO_PROGRESS;
  const events: KiteOrderEvent[] = [];
  for (const snapshot of snapshots) {
    const result = kiteOrderEvents(context, progress, snapshot);
    progress = result.progress;
    events.push(...result.events);
  }
  return events;
}

describe('Kite order client against the fake Kite', () => {
  it('places a MARKET order that completes at the current price, in the book, trades and positions', async () => {
    fake.setPrice('INFY', 150_025);
    const { context, tag } = platformOrder();
    const { orderId, alreadyPlaced } = await client.placeOrder(request(tag));
    expect(alreadyPlaced).toBe(false);

    const history = await client.getOrderHistory(orderId);
    expect(history.map((entry) => entry.status)).toEqual(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING', 'OPEN', 'COMPLETE']);
    expect(history.at(-1)).toMatchObject({ tag, averagePrice: 1500.25, filledQuantity: 5, filledTurnover: 750_125, pendingQuantity: 0 });
    expect(await client.getOrderTrades(orderId)).toMatchObject([{ orderId, quantity: 5, price: 150_025, side: 'BUY' }]);

    const events = eventsOf(context, history);
    expect(events.map((event) => event.type)).toEqual(['order_submitted', 'order_filled']);
    expect(events[1]!.data).toMatchObject({ quantity: 5, price: 150_025, cumulativeQuantity: 5, remainingQuantity: 0 });

    // The ticker's order updates tell the same story as the history.
    const pushed = updates.filter((update) => update.order_id === orderId).map(parseKiteOrderUpdate);
    expect(eventsOf(context, pushed)).toEqual(events);

    const { net, day } = await client.getPositions();
    expect(net.find((p) => p.tradingsymbol === 'INFY' && p.product === 'MIS')).toMatchObject({ quantity: 5, buyValue: 750_125, averagePrice: 150_025 });
    expect(day.find((p) => p.tradingsymbol === 'INFY')).toMatchObject({ quantity: 5 });
  });

  it('rests a LIMIT order until the price crosses it, then completes it at the limit', async () => {
    fake.setPrice('INFY', 150_000);
    const { context, tag } = platformOrder();
    const { orderId } = await client.placeOrder(request(tag, { orderType: 'LIMIT', limitPrice: paise(149_050), quantity: 3 }));
    expect((await client.getOrders()).find((order) => order.orderId === orderId)).toMatchObject({ status: 'OPEN', price: 149_050, pendingQuantity: 3 });

    fake.setPrice('INFY', 149_500);
    expect((await client.getOrderHistory(orderId)).at(-1)!.status).toBe('OPEN');
    fake.setPrice('INFY', 148_900);
    const history = await client.getOrderHistory(orderId);
    expect(history.at(-1)).toMatchObject({ status: 'COMPLETE', averagePrice: 1490.5, filledQuantity: 3 });
    expect(eventsOf(context, history).at(-1)).toMatchObject({ type: 'order_filled', data: { price: 149_050, quantity: 3 } });
  });

  it("carries the venue's status_message on a rejection", async () => {
    const reason = 'Insufficient funds. Required margin is 7501.25 but available margin is 100.00.';
    fake.rejectNextOrder(reason);
    const { context, tag } = platformOrder();
    const { orderId } = await client.placeOrder(request(tag));
    const history = await client.getOrderHistory(orderId);
    expect(history.at(-1)).toMatchObject({ status: 'REJECTED', statusMessage: reason });
    expect(eventsOf(context, history)).toEqual([{ type: 'order_rejected', data: expect.objectContaining({ quantity: 5, reason }) }]);
  });

  it('modifies and cancels an open order', async () => {
    fake.setPrice('INFY', 150_000);
    const { context, tag } = platformOrder();
    const { orderId } = await client.placeOrder(request(tag, { orderType: 'LIMIT', limitPrice: paise(140_000), quantity: 4 }));
    await client.modifyOrder(orderId, { limitPrice: paise(141_000), quantity: 2 });
    expect((await client.getOrderHistory(orderId)).at(-1)).toMatchObject({ status: 'OPEN', price: 141_000, quantity: 2 });
    await client.cancelOrder(orderId);
    const history = await client.getOrderHistory(orderId);
    expect(eventsOf(context, history).at(-1)).toMatchObject({ type: 'order_cancelled', data: { quantity: 2 } });
    await expect(client.cancelOrder(orderId)).rejects.toMatchObject({ name: 'KiteError', kind: 'order', errorType: 'OrderException' });
  });

  it('finds an order placed earlier by its tag, and does not place it again when recovering', async () => {
    fake.setPrice('INFY', 150_000);
    const { tag } = platformOrder();
    const first = await client.placeOrder(request(tag, { quantity: 1 }));
    expect(await client.findOrderByTag(tag)).toMatchObject({ orderId: first.orderId, tag });
    expect(await client.findOrderByTag(kiteTagFor('never-placed'))).toBeUndefined();

    const posts = fake.callCount('POST /orders/:variety');
    expect(await client.placeOrder(request(tag, { quantity: 1 }), { recovering: true })).toEqual({ orderId: first.orderId, alreadyPlaced: true });
    expect(fake.callCount('POST /orders/:variety')).toBe(posts);
  });

  it('places 25 orders as fast as asked through the limiter: all placed, none answered 429', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // let earlier tests' orders leave Kite's window
    fake.setPrice('INFY', 150_000);
    const posts = fake.callCount('POST /orders/:variety');
    const started = Date.now();
    const placed = await Promise.all(Array.from({ length: 25 }, () => client.placeOrder(request(platformOrder().tag, { quantity: 1 }))));
    expect(new Set(placed.map((p) => p.orderId)).size).toBe(25);
    // Exactly 25 requests reached Kite: no 429 was answered (a refused request would have been retried).
    expect(fake.callCount('POST /orders/:variety') - posts).toBe(25);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('without the limiter, the fake answers 429 Too many requests above 10 orders a second', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const raw = new KiteConnect({ api_key: apiKey, root: fake.url, access_token: accessToken });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 25 }, () =>
        raw.placeOrder('regular', { exchange: 'NSE', tradingsymbol: 'INFY', transaction_type: 'BUY', quantity: 1, product: 'MIS', order_type: 'LIMIT', price: 1400 }),
      ),
    );
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => toKiteError(outcome.reason, [accessToken]));
    expect(outcomes.length - refused.length).toBe(10);
    expect(refused).toHaveLength(15);
    for (const error of refused) expect(error).toMatchObject({ kind: 'rate-limited', errorType: 'NetworkException', message: 'Too many requests' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
  });

  it('MARKET without market_protection is refused by the fake; the client always sends it', async () => {
    const raw = new KiteConnect({ api_key: apiKey, root: fake.url, access_token: accessToken });
    await expect(
      raw.placeOrder('regular', { exchange: 'NSE', tradingsymbol: 'INFY', transaction_type: 'BUY', quantity: 1, product: 'MIS', order_type: 'MARKET' }),
    ).rejects.toMatchObject({ error_type: 'InputException', message: MARKET_PROTECTION_REQUIRED });

    const { tag } = platformOrder();
    const { orderId } = await client.placeOrder(request(tag, { quantity: 1 }));
    expect(fake.orders.order(orderId)).toMatchObject({ marketProtection: -1, status: 'COMPLETE' });
    const custom = await client.placeOrder(request(platformOrder().tag, { quantity: 1, marketProtection: 2 }));
    expect(fake.orders.order(custom.orderId)).toMatchObject({ marketProtection: 2 });
    await expect(client.placeOrder(request(platformOrder().tag, { marketProtection: 0 }))).rejects.toMatchObject({ kind: 'input' });
  });

  it('sees a position opened behind the platform\'s back', async () => {
    fake.openPosition({ instrument: 'SBIN', quantity: -7, averagePrice: 80_005, product: 'MIS' });
    fake.openPosition({ instrument: 'TCS', quantity: 2, averagePrice: 350_000, overnight: true });
    const { net, day } = await client.getPositions();
    expect(net.find((p) => p.tradingsymbol === 'SBIN')).toMatchObject({ quantity: -7, sellValue: 560_035 });
    expect(net.find((p) => p.tradingsymbol === 'TCS')).toMatchObject({ quantity: 2, overnightQuantity: 2 });
    expect(day.find((p) => p.tradingsymbol === 'TCS')).toBeUndefined();
  });

  it('turns an expired token into a KiteError of kind token whose message holds no secret', async () => {
    fake.expireAccessTokens();
    const failures = await Promise.allSettled([client.getOrders(), client.placeOrder(request(platformOrder().tag))]);
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      const error = (failure as PromiseRejectedResult).reason as KiteError;
      expect(error).toBeInstanceOf(KiteError);
      expect(error).toMatchObject({ kind: 'token', errorType: 'TokenException' });
      expect(JSON.stringify(error) + error.message).not.toContain(accessToken);
    }
  });
});
