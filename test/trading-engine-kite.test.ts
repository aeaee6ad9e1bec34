// The zerodha trading engine with the Kite adapter against the fake Kite through the real
// kiteconnect client, with real Kafka (prefixed topics), Postgres and Redis: validated signals
// become orders at Kite (tag, variety, product, market protection), their completion becomes a
// fill with Kite's price and the charges, a rejection carries Kite's reason, a position opened
// behind the platform's back is adopted at start, and an expired session pauses the engine until
// a new one is stored.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateWithRequestToken } from '../core/broker/auth';
import { loadValidSession } from '../core/broker/session-store';
import { kiteTagFor } from '../core/broker/kite-order-model';
import type { Config } from '../core/config/load';
import { createEvent, type Envelope } from '../core/domain/events';
import { marketTicksTopic, namespaceTopics, strategyInstrumentKey, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { orderCharges } from '../core/domain/trading/charges';
import { makeSignal, makeValidated } from '../core/domain/trading/testing';
import { createKafka } from '../core/kafka/client';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging, getLogger } from '../core/logging';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool } from '../core/postgres/pool';
import { paise } from '../core/domain/money';
import { startFakeKite, type FakeKite } from '../scripts/fake-kite/server';
import { createKiteBrokerAdapter, RECONCILED_STRATEGY } from '../services/trading-engine/kite-broker-adapter';
import { createTradingEngineService, orderIdFor, type TradingEngineHealth } from '../services/trading-engine/service';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './support/stack';
import { waitFor } from './support/temporal';
import { releasePrefix, testPrefix } from './support/topics';

const apiKey = 'enginekey01';
const apiSecret = 'enginesecret0123456789';
const INFY = 408065;
const prefix = testPrefix();
let database: TestDatabase;
let redisDb: { url: string; release(): Promise<void> };
let redis: Redis;
let fake: FakeKite;
let config: Config;
let pool: pg.Pool;
let kafka: Kafka;
let producer: EventProducer;
let topics: NamespaceTopics;
const seen = new Map<string, Envelope[]>();
let stopReader: () => Promise<void>;
let engine: ReturnType<typeof createTradingEngineService>;
const controller = new AbortController();
let running: Promise<void>;

const login = async () => expect((await authenticateWithRequestToken({ config, pool, now: () => new Date() }, fake.issueRequestToken())).ok).toBe(true);
const events = (topic: string) => seen.get(topic) ?? [];

async function sendSignal(overrides: Parameters<typeof makeSignal>[0]): Promise<Envelope<'signal_validated'>> {
  const validated = makeValidated(makeSignal({ instrumentToken: INFY, tradingsymbol: 'INFY', product: 'MIS', orderType: 'MARKET', quantity: 5, referencePrice: paise(150_000), ...overrides }));
  const envelope = createEvent({ type: 'signal_validated', source: 'risk-manager', namespace: 'zerodha', data: validated });
  await producer.sendBatch([{ topic: topics.signalsValidated, key: strategyInstrumentKey(validated.signal.strategyId, INFY), envelope }]);
  return envelope;
}

beforeAll(async () => {
  configureLogging({ level: 'silent', console: false });
  database = await createTestDatabase();
  redisDb = await claimRedisDatabase();
  redis = new Redis(redisDb.url);
  fake = await startFakeKite({ port: 0, apiKey, apiSecret });
  config = testConfig({
    ZERODHA__ENABLED: 'true',
    ZERODHA__API_KEY: apiKey,
    ZERODHA__API_SECRET: apiSecret,
    ZERODHA__API_ROOT: fake.url,
    ZERODHA__LOGIN_ROOT: fake.loginUrl,
    ZERODHA__TICKER_ROOT: fake.tickerUrl,
    SECURITY__ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    DATABASE__POSTGRES_URL: database.url,
    REDIS__URL: redisDb.url,
  });
  await migrateDatabase(config.database.postgresUrl);
  pool = createPool(config);
  await pool.query(
    `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
     values ('zerodha', 'live-1', 'live-1', 'momentum', $1, $2, '{}', true)`,
    [[INFY], { execution: { variety: 'regular', validity: 'DAY', marketProtection: 3 } }],
  );
  kafka = createKafka(config);
  await bootstrapTopics(kafka, topicSpecs(['zerodha'], prefix));
  topics = namespaceTopics('zerodha', prefix);
  producer = createEventProducer(kafka);
  await producer.connect();
  const reader = kafka.consumer({ groupId: `${prefix}reader`, maxWaitTimeInMs: 100 });
  await reader.connect();
  for (const topic of [topics.ordersSubmitted, topics.ordersFilled, topics.ordersRejected, topics.ordersCancelled]) await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => void seen.set(topic, [...events(topic), JSON.parse(message.value!.toString()) as Envelope]),
  });
  stopReader = () => reader.disconnect();

  await login();
  fake.setPrice('INFY', 150_025);
  // Bought in Kite's web app before the engine starts: reconciliation must adopt it.
  fake.openPosition({ instrument: 'INFY', quantity: 7, averagePrice: 149_900, product: 'CNC' });
  const broker = createKiteBrokerAdapter({ config, namespace: 'zerodha', redis, postgres: pool, log: getLogger('trading'), pollIntervalMs: 200, sessionPollMs: 200 });
  engine = createTradingEngineService({
    config,
    namespace: 'zerodha',
    kafka,
    redis,
    postgres: pool,
    topics,
    ticksTopic: marketTicksTopic(prefix),
    groupId: `${prefix}engine`,
    fromBeginning: true,
    broker,
  });
  running = engine.start(controller.signal);
}, 60_000);

afterAll(async () => {
  controller.abort();
  await running?.catch(() => undefined);
  await stopReader?.();
  await producer?.disconnect();
  await fake?.close();
  await releasePrefix(kafka, prefix);
  await pool?.end();
  redis?.disconnect();
  await redisDb?.release();
  await database?.drop();
});

describe('zerodha trading engine with the Kite adapter', () => {
  it('adopts at start a position opened at Zerodha behind the platform, and shows the difference', async () => {
    const fills = await waitFor(async () => {
      const list = events(topics.ordersFilled).filter((e) => (e.data as { strategyId: string }).strategyId === RECONCILED_STRATEGY);
      return list.length > 0 && list;
    }, 'the reconciling fill', 30_000);
    expect(fills[0]!.data).toMatchObject({ instrumentToken: INFY, side: 'BUY', quantity: 7, price: 149_900, product: 'CNC' });
    expect((fills[0]!.data as { orderId: string }).orderId).toMatch(/^reconciled-/);
    const health = engine.health() as TradingEngineHealth;
    expect(health.broker?.differences.join('\n')).toMatch(/INFY \(408065\) CNC: 7 at Zerodha, 0 here; adopted/);
  });

  it('places a validated signal at Kite once and books its completion as a fill with the charges', async () => {
    const signal = await sendSignal({ strategyId: 'live-1' });
    const orderId = orderIdFor(signal.id);
    const tag = kiteTagFor(orderId);
    const fill = await waitFor(async () => events(topics.ordersFilled).find((e) => (e.data as { orderId: string }).orderId === orderId) ?? false, 'the fill', 30_000);
    const atKite = fake.orders.listOrders().filter((order) => order.tag === tag);
    expect(atKite).toHaveLength(1);
    expect(fake.orders.orderJson(atKite[0]!)).toMatchObject({ tag, variety: 'regular', product: 'MIS', order_type: 'MARKET', market_protection: 3, status: 'COMPLETE' });
    expect(fill.data).toMatchObject({ quantity: 5, price: 150_025, remainingQuantity: 0, charges: orderCharges('MIS', 'BUY', paise(150_025), 5) });
    expect(events(topics.ordersSubmitted).some((e) => (e.data as { orderId: string }).orderId === orderId)).toBe(true);
    const { rows } = await pool.query(`select status, filled_quantity, average_price_paise::int as avg from orders where namespace = 'zerodha' and order_id = $1`, [orderId]);
    expect(rows).toEqual([{ status: 'COMPLETE', filled_quantity: 5, avg: 150_025 }]);
  });

  it("ends an order Kite rejects as order_rejected with Kite's reason", async () => {
    fake.rejectNextOrder('Insufficient funds. Required margin is 95417.50 but available margin is 74251.80.');
    const signal = await sendSignal({ strategyId: 'live-1' });
    const orderId = orderIdFor(signal.id);
    const rejection = await waitFor(async () => events(topics.ordersRejected).find((e) => (e.data as { orderId: string }).orderId === orderId) ?? false, 'the rejection', 30_000);
    expect((rejection.data as { reason: string }).reason).toMatch(/^Insufficient funds/);
  });

  it('pauses on an expired session with a clear health state, and resumes with a new one, losing no order', async () => {
    fake.expireAccessTokens();
    const signal = await sendSignal({ strategyId: 'live-1' });
    const orderId = orderIdFor(signal.id);
    await waitFor(async () => (engine.health() as TradingEngineHealth).broker?.needsAuth === true, 'the engine to say it needs a login', 30_000);
    const paused = engine.health() as TradingEngineHealth;
    expect(paused.detail).toMatch(/paused: Zerodha refused the session \(TokenException/);
    expect(paused.state).toBe('running');
    expect(paused.needsAuth).toBe(true);
    // Marked invalid where the feed and the other namespace read the session from.
    expect(await loadValidSession(pool, config, new Date())).toBeNull();
    await login();
    await waitFor(async () => events(topics.ordersFilled).some((e) => (e.data as { orderId: string }).orderId === orderId), 'the order after the new login', 30_000);
    expect((engine.health() as TradingEngineHealth).broker?.needsAuth).toBe(false);
    expect(engine.health().needsAuth).toBeUndefined();
    expect(fake.orders.listOrders().filter((order) => order.tag === kiteTagFor(orderId))).toHaveLength(1);
  });

  it('shows needsAuth while idle once the stored session passes 06:00 IST, before any order is tried with it', async () => {
    let clockAheadMs = 0;
    const broker = createKiteBrokerAdapter({ config, namespace: 'zerodha', redis, postgres: pool, log: getLogger('trading'), now: () => new Date(Date.now() + clockAheadMs) });
    const idle = broker.initialState();
    await broker.pollUpdates!(idle);
    expect(broker.status!().needsAuth).toBe(false);
    const session = await loadValidSession(pool, config, new Date());
    clockAheadMs = session!.expiresAt.getTime() - Date.now() + 1_000;
    const ordersBefore = fake.callCount('GET /orders');
    await broker.pollUpdates!(idle);
    expect(broker.status!()).toMatchObject({ paused: true, needsAuth: true, detail: expect.stringContaining('06:00 IST') });
    expect(fake.callCount('GET /orders')).toBe(ordersBefore);
    clockAheadMs = 0;
    await broker.pollUpdates!(idle);
    expect(broker.status!()).toMatchObject({ paused: false, needsAuth: false });
    broker.close?.();
  });

  it('places an order once when its signal is processed again from the uncommitted state (a crash before the commit)', async () => {
    const broker = createKiteBrokerAdapter({ config, namespace: 'zerodha', redis, postgres: pool, log: getLogger('trading') });
    const validated = makeValidated(makeSignal({ strategyId: 'live-1', instrumentToken: INFY, tradingsymbol: 'INFY', product: 'MIS', orderType: 'MARKET', quantity: 2, referencePrice: paise(150_000) }));
    const request = { validated, orderId: orderIdFor(createEvent({ type: 'signal_validated', source: 'test', namespace: 'zerodha', data: validated }).id), submittedAt: new Date().toISOString(), correlationId: validated.signal.strategyId };
    const first = await broker.submit(broker.initialState(), request, { halted: null });
    // The replay starts again from the state committed before the first attempt.
    const replay = await broker.submit(broker.initialState(), request, { halted: null });
    expect(fake.orders.listOrders().filter((order) => order.tag === kiteTagFor(request.orderId))).toHaveLength(1);
    expect(replay.state.open[request.orderId]!.kiteOrderId).toBe(first.state.open[request.orderId]!.kiteOrderId);
    broker.close?.();
  });
});
