// The zerodha trading engine stopped in the ordinary way (no crash mid-placement) while its orders
// rest at Kite, and started again after Zerodha changed them: one filled (between the engine's last
// poll and its first), one was cancelled in Kite's web app, and an order was placed there behind
// the platform's back. At start the reconciliation must book the fill exactly once (not adopt it
// as a position of unknown origin as well), resolve the cancelled order to Zerodha's state, and
// show all three. Real Kafka (prefixed topics), Postgres and Redis; the fake Kite through the real
// kiteconnect client; the services composed by the production factory.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiteTagFor } from '../core/broker/kite-order-model';
import type { Envelope } from '../core/domain/events';
import { paise } from '../core/domain/money';
import { consumerGroup } from '../core/domain/namespace';
import { RECONCILED_STRATEGY } from '../core/domain/trading/portfolio';
import { makeSignal, makeValidated } from '../core/domain/trading/testing';
import { configureLogging } from '../core/logging';
import type { StreamingService } from '../core/service';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import type { KiteAccountState } from '../services/trading-engine/kite-account-state';
import { brokerStateKey, orderIdFor, type TradingEngineHealth } from '../services/trading-engine/service';
import type { KiteTestStack, ZerodhaTopics } from './support/kite';
import { startKiteServiceStack, type KiteServiceStack } from './support/kite-services';
import { waitFor } from './support/temporal';
import { waitConsumed } from './support/topics';

const INFY = 408065;
const TCS = 2953217;
let services: KiteServiceStack;
let stack: KiteTestStack;
let bus: ZerodhaTopics;
let redis: Redis;
let prefix: string;

function startEngine(): { engine: StreamingService; stop: () => Promise<void> } {
  const controller = new AbortController();
  const engine = services.factory('zerodha', 'trading-engine');
  const running = engine.start(controller.signal);
  return {
    engine,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

const eventsOf = <T extends 'order_filled' | 'order_cancelled'>(topic: string, orderId: string) =>
  bus.events(topic).filter((e) => (e.data as { orderId: string }).orderId === orderId) as Envelope<T>[];
const kiteOrderOf = (orderId: string) => stack.fake.orders.listOrders().find((order) => order.tag === kiteTagFor(orderId));
const savedState = async () => JSON.parse((await redis.get(brokerStateKey('zerodha'))) ?? 'null') as KiteAccountState | null;

async function sendLimit(instrumentToken: number, tradingsymbol: string, quantity: number, limitPrice: number): Promise<string> {
  const signal = makeSignal({ strategyId: 'live-1', instrumentToken, tradingsymbol, product: 'MIS', orderType: 'LIMIT', quantity, limitPrice: paise(limitPrice), referencePrice: paise(limitPrice) });
  return orderIdFor((await bus.sendValidated(makeValidated(signal))).id);
}

beforeAll(async () => {
  configureLogging({ level: 'silent', console: false });
  services = await startKiteServiceStack({
    apiKey: 'restartkey01',
    apiSecret: 'restartsecret0123456789',
    instruments: [INFY, TCS],
    prices: { INFY: 150_000, TCS: 350_000 },
  });
  ({ stack, bus, redis, prefix } = services);
  // The engine is started and stopped by the test itself; the portfolio manager runs throughout.
  services.start('portfolio-manager');
}, 60_000);

afterAll(async () => {
  await services?.close();
});

describe('zerodha trading engine restarted after Zerodha changed its orders', () => {
  it('books a fill made while it was stopped once, resolves a cancelled order to Zerodha, and shows an order placed outside', { timeout: 120_000 }, async () => {
    const first = startEngine();
    // Two limit buys below the market: they rest at Kite.
    const filling = await sendLimit(INFY, 'INFY', 5, 149_000);
    const cancelling = await sendLimit(TCS, 'TCS', 2, 340_000);
    await waitFor(async () => {
      const open = (await savedState())?.open ?? {};
      return [filling, cancelling].every((orderId) => open[orderId]?.progress.submitted === true);
    }, 'both orders followed and committed as open', 30_000);
    await first.stop();

    // While the engine is stopped: the market trades through the INFY limit, the TCS order is
    // cancelled in Kite's web app, and an order is placed there by hand.
    stack.fake.setPrice('INFY', 148_500);
    expect(kiteOrderOf(filling)).toMatchObject({ status: 'COMPLETE', filledQuantity: 5 });
    expect(stack.fake.orders.cancel('regular', kiteOrderOf(cancelling)!.orderId)).toMatchObject({ ok: true });
    const outside = stack.fake.orders.place('regular', { exchange: 'NSE', tradingsymbol: 'SBIN', transaction_type: 'BUY', order_type: 'LIMIT', quantity: 3, product: 'CNC', price: '700' });
    expect(outside).toMatchObject({ ok: true });
    expect(eventsOf(bus.topics.ordersFilled, filling)).toHaveLength(0);

    const second = startEngine();
    try {
      const fill = await waitFor(async () => eventsOf<'order_filled'>(bus.topics.ordersFilled, filling)[0] ?? false, 'the fill after the restart', 30_000);
      await waitFor(async () => eventsOf(bus.topics.ordersCancelled, cancelling).length > 0, 'the cancellation after the restart', 30_000);
      // Nothing left for polling to report (no order followed any more), and the portfolio has
      // taken all the engine produced, before counting.
      await waitFor(async () => ((second.engine.health() as TradingEngineHealth).broker?.differences.length ?? 0) > 0, 'the differences in the health', 30_000);
      await waitFor(async () => Object.keys((await savedState())?.open ?? { pending: true }).length === 0, 'no order followed any more', 30_000);
      const admin = bus.kafka.admin();
      await admin.connect();
      try {
        await waitConsumed(admin, `${prefix}${consumerGroup('zerodha', 'portfolio-manager')}`, [bus.topics.ordersFilled]);
      } finally {
        await admin.disconnect();
      }

      // The fill, once: one event, one row, one position, and nothing adopted as of unknown origin.
      expect(fill.data).toMatchObject({ quantity: 5, price: 149_000, strategyId: 'live-1', brokerOrderId: kiteOrderOf(filling)!.orderId });
      expect(bus.events(bus.topics.ordersFilled)).toHaveLength(1);
      const { rows: fillRows } = await stack.pool.query(`select order_id, quantity from fills where namespace = 'zerodha'`);
      expect(fillRows).toEqual([{ order_id: filling, quantity: 5 }]);
      const books = await loadBooks(redis, 'zerodha');
      expect(books.has(RECONCILED_STRATEGY)).toBe(false);
      expect(currentView(books.get('live-1')!).positions).toMatchObject([{ instrumentToken: INFY, quantity: 5, averagePrice: 149_000 }]);

      // The cancelled order ends as Zerodha says, in the events and the orders table.
      expect(eventsOf<'order_cancelled'>(bus.topics.ordersCancelled, cancelling).map((e) => e.data)).toMatchObject([{ quantity: 2 }]);
      const { rows: orderRows } = await stack.pool.query(`select order_id, status, filled_quantity from orders where namespace = 'zerodha' order by status`);
      expect(orderRows).toEqual([
        { order_id: cancelling, status: 'CANCELLED', filled_quantity: 0 },
        { order_id: filling, status: 'COMPLETE', filled_quantity: 5 },
      ]);

      // What the operator sees: all three differences (the two orders in either order: their
      // signals went to different partitions).
      const differences = (second.engine.health() as TradingEngineHealth).broker!.differences;
      expect(differences).toHaveLength(3);
      expect(differences).toEqual(expect.arrayContaining([
        expect.stringMatching(new RegExp(`^order ${filling} \\(Kite \\d+, INFY BUY 5\\): COMPLETE at Zerodha with 5 filled, 0 seen here`)),
        expect.stringMatching(new RegExp(`^order ${cancelling} \\(Kite \\d+, TCS BUY 2\\): CANCELLED at Zerodha with 0 filled, 0 seen here`)),
        expect.stringMatching(/^open order \d+ at Zerodha \(SBIN BUY 3 LIMIT\) was not placed by this engine/),
      ]));
    } finally {
      await second.stop();
    }
  });
});
