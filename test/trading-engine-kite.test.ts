// The zerodha namespace end to end with the Kite adapter against the fake Kite through the real
// kiteconnect client, composed by the production service factory (trading engine, portfolio
// manager, risk manager) on real Kafka (prefixed topics), Postgres and Redis: validated signals
// become orders at Kite (tag, variety, product, market protection), their completion becomes a
// fill with Kite's order id and the charges, booked in the portfolio; a rejection carries Kite's
// reason; more orders than Kite's 10/s queue without a 429; a position opened behind the
// platform's back is adopted at start, shown as a difference and booked apart; an expired session
// pauses the engine until a new one is stored.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadValidSession } from '../core/broker/session-store';
import { kiteTagFor } from '../core/broker/kite-order-model';
import { createEvent, type Envelope } from '../core/domain/events';
import { paise } from '../core/domain/money';
import type { NamespaceService } from '../core/domain/namespace';
import { orderCharges } from '../core/domain/trading/charges';
import { RECONCILED_STRATEGY } from '../core/domain/trading/portfolio';
import { makeSignal, makeValidated } from '../core/domain/trading/testing';
import { configureLogging, getLogger } from '../core/logging';
import type { StreamingService } from '../core/service';
import { formatServices } from '../cli/format';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import { riskStateKey } from '../services/risk-manager/store';
import { createKiteBrokerAdapter } from '../services/trading-engine/kite-broker-adapter';
import { orderIdFor, type TradingEngineHealth } from '../services/trading-engine/service';
import type { KiteTestStack, ZerodhaTopics } from './support/kite';
import { startKiteServiceStack, type KiteServiceStack } from './support/kite-services';
import { waitFor } from './support/temporal';

const INFY = 408065;
const PRICE = 150_025;
let services: KiteServiceStack;
let stack: KiteTestStack;
let bus: ZerodhaTopics;
let redis: Redis;
const started = new Map<NamespaceService, StreamingService>();

const engine = () => started.get('trading-engine')!;
const fillsOf = (orderId: string) => bus.events(bus.topics.ordersFilled).filter((e) => (e.data as { orderId: string }).orderId === orderId) as Envelope<'order_filled'>[];
const atKite = (orderId: string) => stack.fake.orders.listOrders().filter((order) => order.tag === kiteTagFor(orderId));
const book = async (strategyId: string) => {
  const found = (await loadBooks(redis, 'zerodha')).get(strategyId);
  return found && currentView(found);
};

async function sendSignal(quantity = 5): Promise<string> {
  const validated = makeValidated(makeSignal({ strategyId: 'live-1', instrumentToken: INFY, tradingsymbol: 'INFY', product: 'MIS', orderType: 'MARKET', quantity, referencePrice: paise(150_000) }));
  return orderIdFor((await bus.sendValidated(validated)).id);
}

beforeAll(async () => {
  configureLogging({ level: 'silent', console: false });
  services = await startKiteServiceStack({
    apiKey: 'enginekey01',
    apiSecret: 'enginesecret0123456789',
    instruments: [INFY],
    parameters: { execution: { variety: 'regular', validity: 'DAY', marketProtection: 3 } },
    prices: { INFY: PRICE },
  });
  ({ stack, bus, redis } = services);
  // Bought in Kite's web app before the engine starts: reconciliation must adopt it.
  stack.fake.openPosition({ instrument: 'INFY', quantity: 7, averagePrice: 149_900, product: 'CNC' });
  for (const name of ['portfolio-manager', 'risk-manager', 'trading-engine'] as const) started.set(name, services.start(name));
}, 60_000);

afterAll(async () => {
  await services?.close();
});

describe('zerodha trading engine with the Kite adapter', () => {
  it('adopts at start a position opened at Zerodha behind the platform, shows the difference, and books it apart', async () => {
    const fills = await waitFor(async () => {
      const list = bus.events(bus.topics.ordersFilled).filter((e) => (e.data as { strategyId: string }).strategyId === RECONCILED_STRATEGY);
      return list.length > 0 && list;
    }, 'the reconciling fill', 30_000);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.data).toMatchObject({ instrumentToken: INFY, side: 'BUY', quantity: 7, price: 149_900, product: 'CNC' });
    expect((fills[0]!.data as { orderId: string; brokerOrderId?: string }).orderId).toMatch(/^reconciled-/);
    // No order at Kite produced it.
    expect((fills[0]!.data as { brokerOrderId?: string }).brokerOrderId).toBeUndefined();

    // Where an operator looks: the engine's health (the heartbeat the API serves) and `alpha-panda status`.
    const health = engine().health() as TradingEngineHealth;
    expect(health.broker?.differences.join('\n')).toMatch(/INFY \(408065\) CNC: 7 at Zerodha, 0 here; adopted/);
    const text = formatServices([{ service: 'trading-engine', namespace: 'zerodha', state: 'running', restarts: 0, lastError: null, runningSince: null, workflowId: 'w', progress: health, lastHeartbeatAt: null, needsAuth: null }]);
    expect(text).toMatch(/differs from the broker at start[^\n]*\n\s+- INFY \(408065\) CNC: 7 at Zerodha, 0 here; adopted/);

    // The portfolio books it in the reconciled book, which starts with no cash, not in a strategy's.
    const adopted = await waitFor(async () => (await book(RECONCILED_STRATEGY)) ?? false, 'the reconciled book', 30_000);
    expect(adopted).toMatchObject({ cash: -7 * 149_900, chargesPaid: 0, positions: [{ instrumentToken: INFY, quantity: 7, averagePrice: 149_900 }] });
    expect(await book('live-1')).toBeUndefined();
    // Risk counts the position under the reconciled book, apart from every strategy's limits.
    const risk = await waitFor(async () => {
      const state = JSON.parse((await redis.get(riskStateKey('zerodha'))) ?? 'null') as { strategies: Record<string, { positions: Record<string, number> }> } | null;
      return state?.strategies[RECONCILED_STRATEGY] ? state : false;
    }, 'the risk state of the reconciled position', 30_000);
    expect(risk.strategies[RECONCILED_STRATEGY]!.positions[String(INFY)]).toBe(7);
    expect(risk.strategies['live-1']).toBeUndefined();
  });

  it("ends a signal as an order at Kite and its completion as a fill with Kite's order id and the charges, booked in the portfolio", async () => {
    const orderId = await sendSignal(5);
    const [fill] = await waitFor(async () => fillsOf(orderId).length > 0 && fillsOf(orderId), 'the fill', 30_000);
    const orders = atKite(orderId);
    expect(orders).toHaveLength(1);
    const kiteOrder = orders[0]!;
    expect(stack.fake.orders.orderJson(kiteOrder)).toMatchObject({ variety: 'regular', product: 'MIS', order_type: 'MARKET', market_protection: 3, status: 'COMPLETE' });
    // The charges of a 5 x ₹1500.25 intraday buy, from the charges module's own inputs.
    const charges = orderCharges('MIS', 'BUY', paise(PRICE), 5);
    expect(charges.total).toBeGreaterThan(0);
    expect(fill!.data).toMatchObject({ quantity: 5, price: PRICE, remainingQuantity: 0, brokerOrderId: kiteOrder.orderId, charges });
    expect(bus.events(bus.topics.ordersSubmitted).some((e) => (e.data as { orderId: string }).orderId === orderId)).toBe(true);

    const { rows: orderRows } = await stack.pool.query(`select status, filled_quantity, average_price_paise::int as avg from orders where namespace = 'zerodha' and order_id = $1`, [orderId]);
    expect(orderRows).toEqual([{ status: 'COMPLETE', filled_quantity: 5, avg: PRICE }]);
    const { rows: fillRows } = await stack.pool.query(`select broker_order_id, price_paise::int as price, charges_paise::int as charges from fills where namespace = 'zerodha' and order_id = $1`, [orderId]);
    expect(fillRows).toEqual([{ broker_order_id: kiteOrder.orderId, price: PRICE, charges: charges.total }]);

    const live = await waitFor(async () => {
      const view = await book('live-1');
      return view !== undefined && view.positions.some((position) => position.quantity === 5) && view;
    }, 'the fill in the portfolio', 30_000);
    expect(live.cash).toBe(stack.config.paper.startingCashPaise - 5 * PRICE - charges.total);
    expect(live.chargesPaid).toBe(charges.total);
    expect(live.positions).toMatchObject([{ instrumentToken: INFY, quantity: 5, averagePrice: PRICE }]);
  });

  it("ends an order Kite rejects as order_rejected with Kite's reason", async () => {
    stack.fake.rejectNextOrder('Insufficient funds. Required margin is 95417.50 but available margin is 74251.80.');
    const orderId = await sendSignal();
    const rejection = await waitFor(
      async () => bus.events(bus.topics.ordersRejected).find((e) => (e.data as { orderId: string }).orderId === orderId) ?? false,
      'the rejection',
      30_000,
    );
    expect((rejection.data as { reason: string }).reason).toBe('Insufficient funds. Required margin is 95417.50 but available margin is 74251.80.');
    expect(fillsOf(orderId)).toHaveLength(0);
  });

  it('queues orders over the rate limit and places them all, with no 429 from Kite', async () => {
    const before = stack.fake.orders.orderRequestCounts();
    const orderIds = await Promise.all(Array.from({ length: 25 }, () => sendSignal(1)));
    await waitFor(async () => orderIds.every((orderId) => fillsOf(orderId).length > 0), 'the fills of 25 orders', 60_000);
    for (const orderId of orderIds) expect(atKite(orderId)).toHaveLength(1);
    const after = stack.fake.orders.orderRequestCounts();
    expect(after.admitted - before.admitted).toBe(25);
    expect(after.rateLimited).toBe(0);
  });

  it('pauses on an expired session with a clear health state, and resumes with a new one, losing no order', async () => {
    stack.fake.expireAccessTokens();
    const orderId = await sendSignal();
    await waitFor(async () => (engine().health() as TradingEngineHealth).broker?.needsAuth === true, 'the engine to say it needs a login', 30_000);
    const paused = engine().health() as TradingEngineHealth;
    expect(paused.detail).toMatch(/paused: Zerodha refused the session \(TokenException/);
    expect(paused.state).toBe('running');
    expect(paused.needsAuth).toBe(true);
    // Marked invalid where the feed and the other namespace read the session from.
    expect(await loadValidSession(stack.pool, stack.config, new Date())).toBeNull();
    await stack.login();
    await waitFor(async () => fillsOf(orderId).length > 0, 'the order after the new login', 30_000);
    expect((engine().health() as TradingEngineHealth).broker?.needsAuth).toBe(false);
    expect(engine().health().needsAuth).toBeUndefined();
    expect(atKite(orderId)).toHaveLength(1);
  });

  it('shows needsAuth while idle once the stored session passes 06:00 IST, before any order is tried with it', async () => {
    let clockAheadMs = 0;
    const broker = createKiteBrokerAdapter({ config: stack.config, namespace: 'zerodha', redis, postgres: stack.pool, log: getLogger('trading'), now: () => new Date(Date.now() + clockAheadMs) });
    const idle = broker.initialState();
    await broker.pollUpdates!(idle);
    expect(broker.status!().needsAuth).toBe(false);
    const session = await loadValidSession(stack.pool, stack.config, new Date());
    clockAheadMs = session!.expiresAt.getTime() - Date.now() + 1_000;
    const ordersBefore = stack.fake.callCount('GET /orders');
    await broker.pollUpdates!(idle);
    expect(broker.status!()).toMatchObject({ paused: true, needsAuth: true, detail: expect.stringContaining('06:00 IST') });
    expect(stack.fake.callCount('GET /orders')).toBe(ordersBefore);
    clockAheadMs = 0;
    await broker.pollUpdates!(idle);
    expect(broker.status!()).toMatchObject({ paused: false, needsAuth: false });
    broker.close?.();
  });

  it('places an order once when its signal is processed again from the uncommitted state (a crash before the commit)', async () => {
    const broker = createKiteBrokerAdapter({ config: stack.config, namespace: 'zerodha', redis, postgres: stack.pool, log: getLogger('trading') });
    const validated = makeValidated(makeSignal({ strategyId: 'live-1', instrumentToken: INFY, tradingsymbol: 'INFY', product: 'MIS', orderType: 'MARKET', quantity: 2, referencePrice: paise(150_000) }));
    const request = { validated, orderId: orderIdFor(createEvent({ type: 'signal_validated', source: 'test', namespace: 'zerodha', data: validated }).id), submittedAt: new Date().toISOString(), correlationId: validated.signal.strategyId };
    const first = await broker.submit(broker.initialState(), request, { halted: null });
    // The replay starts again from the state committed before the first attempt.
    const replay = await broker.submit(broker.initialState(), request, { halted: null });
    expect(atKite(request.orderId)).toHaveLength(1);
    expect(replay.state.open[request.orderId]!.kiteOrderId).toBe(first.state.open[request.orderId]!.kiteOrderId);
    broker.close?.();
  });
});
