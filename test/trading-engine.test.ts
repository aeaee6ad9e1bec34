// The paper trading engine against the real Kafka, Redis and Postgres: validated signals and
// ticks in, order events out, order and fill rows in Postgres, broker state in Redis. Each
// scenario has topics of its own (a unique prefix) and a consumer group of its own; the Redis
// database is emptied between scenarios. Inputs are produced in phases (signals, then ticks),
// waiting each time until the engine has committed everything, so the interleaving of the two
// input topics is the same in every run.
import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../core/config/load';
import { createEvent, type Envelope, type Signal } from '../core/domain/events';
import { paise } from '../core/domain/money';
import { dlqTopic, marketTicksTopic, namespaceTopics, strategyInstrumentKey, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { DEFAULT_PAPER_BROKER_CONFIG } from '../core/domain/trading/paper-broker';
import { slippedPrice } from '../core/domain/trading/paper-execution';
import { squareOffOrderId } from '../core/domain/trading/paper-session';
import { mulberry32 } from '../core/domain/trading/rng';
import { makeSignal, makeTick, makeValidated } from '../core/domain/trading/testing';
import { createKafka } from '../core/kafka/client';
import { readDeadLetterHeaders } from '../core/kafka/dead-letter';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool, type Pool } from '../core/postgres/pool';
import { turnKillSwitchOn } from '../core/redis/kill-switch';
import type { StreamingService } from '../core/service';
import { orderSeed } from '../services/trading-engine/paper-broker-adapter';
import { brokerStateKey, createTradingEngineService, orderIdFor } from '../services/trading-engine/service';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './support/stack';
import { waitFor } from './support/temporal';
import { collectTopic, waitConsumed as waitConsumedBy, releaseBroker } from './support/topics';

configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const run = randomUUID().slice(0, 8);
const kafka = createKafka(testConfig(), `it-engine-${run}`);
const RELIANCE = 738_561;
const TCS = 2_953_217;
const INFY = 408_065;
const T0 = Date.parse('2026-11-24T04:30:00.000Z'); // 10:00 IST
const at = (ms: number) => new Date(T0 + ms);

let db: TestDatabase;
let pool: Pool;
let redisDb: { url: string; release(): Promise<void> };
let redis: Redis;
let producer: EventProducer;
let admin: Admin;
const topicsCreated: string[] = [];
const groupsUsed: string[] = [];
const running: { controller: AbortController; done: Promise<void> }[] = [];
const collectors: { stop(): Promise<void> }[] = [];

// ---- harness -------------------------------------------------------------------------------

interface Scenario {
  topics: NamespaceTopics;
  ticks: string;
  groupId: string;
}

async function scenario(name: string): Promise<Scenario> {
  const prefix = `test-${run}-${name}.`;
  const topics = namespaceTopics('paper', prefix);
  const ticks = marketTicksTopic(prefix);
  const wanted = [topics.signalsValidated, ticks, topics.ordersSubmitted, topics.ordersFilled, topics.ordersRejected, topics.ordersCancelled];
  const specs = topicSpecs(['paper'], prefix).filter((s) => wanted.includes(s.name) || [dlqTopic(topics.signalsValidated), dlqTopic(ticks)].includes(s.name));
  topicsCreated.push(...specs.map((s) => s.name));
  // Creation is idempotent; a broker busy with other runs sometimes answers the leader check with
  // "does not host this topic-partition" for a topic it has just created, so ask again.
  await waitFor(() => bootstrapTopics(kafka, specs), `topics ${prefix}*`, 30_000);
  const groupId = `test-${run}-${name}-engine`;
  groupsUsed.push(groupId);
  await redis.flushdb();
  await pool.query('truncate orders, fills');
  return { topics, ticks, groupId };
}

function startEngine(sc: Scenario, config: Config, redisClient: Redis = redis): { service: StreamingService; stop(): Promise<void> } {
  const service = createTradingEngineService({
    config,
    namespace: 'paper',
    kafka,
    redis: redisClient,
    postgres: pool,
    topics: sc.topics,
    ticksTopic: sc.ticks,
    groupId: sc.groupId,
    fromBeginning: true,
  });
  const controller = new AbortController();
  const done = service.start(controller.signal);
  running.push({ controller, done });
  return {
    service,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

const waitConsumed = (groupId: string, topics: string[]) => waitConsumedBy(admin, groupId, topics);

/** Everything on a topic from its start; read() returns it once the current end is reached. */
async function collect(topic: string) {
  const groupId = `test-${run}-reader-${randomUUID().slice(0, 8)}`;
  groupsUsed.push(groupId);
  const collector = await collectTopic(kafka, admin, topic, groupId);
  collectors.push(collector);
  return collector;
}

async function outputsOf(sc: Scenario) {
  const [submitted, filled, rejected, cancelled] = await Promise.all([
    collect(sc.topics.ordersSubmitted),
    collect(sc.topics.ordersFilled),
    collect(sc.topics.ordersRejected),
    collect(sc.topics.ordersCancelled),
  ]);
  const envelopes = async (collector: typeof submitted) =>
    (await collector.read()).map((m) => JSON.parse(m.message.value!.toString()) as Envelope);
  return {
    submitted: async () => (await envelopes(submitted)) as Envelope<'order_submitted'>[],
    filled: async () => (await envelopes(filled)) as Envelope<'order_filled'>[],
    rejected: async () => (await envelopes(rejected)) as Envelope<'order_rejected'>[],
    cancelled: async () => (await envelopes(cancelled)) as Envelope<'order_cancelled'>[],
  };
}

const validated = (signal: Partial<Signal>, ms = 0) =>
  createEvent({ type: 'signal_validated', source: 'risk-manager', namespace: 'paper', data: makeValidated(makeSignal(signal)), now: at(ms) });

const symbols: Record<number, string> = { [RELIANCE]: 'RELIANCE', [TCS]: 'TCS', [INFY]: 'INFY' };
const tick = (token: number, price: number, ms: number, sellDepth?: number) =>
  createEvent({
    type: 'tick_received',
    source: 'market-feed',
    namespace: 'shared',
    data: makeTick(price, {
      instrumentToken: token,
      tradingsymbol: symbols[token]!,
      depth: sellDepth === undefined ? {} : { buy: [], sell: [{ price, quantity: sellDepth, orders: 1 }] },
    }),
    now: at(ms),
  });

async function sendSignals(sc: Scenario, events: Envelope<'signal_validated'>[]) {
  await producer.sendBatch(events.map((envelope) => ({
    topic: sc.topics.signalsValidated,
    key: strategyInstrumentKey(envelope.data.signal.strategyId, envelope.data.signal.instrumentToken),
    envelope,
  })));
  await waitConsumed(sc.groupId, [sc.topics.signalsValidated]);
}

async function sendTicks(sc: Scenario, events: Envelope<'tick_received'>[]) {
  await producer.sendBatch(events.map((envelope) => ({ topic: sc.ticks, key: String(envelope.data.instrumentToken), envelope })));
  await waitConsumed(sc.groupId, [sc.ticks]);
}

const fillRows = async () =>
  (await pool.query('select fill_id, order_id, event_id, side, quantity, price_paise, charges_paise, charges, filled_at from fills order by fill_id')).rows;
const orderRow = async (orderId: string) => (await pool.query('select * from orders where namespace = $1 and order_id = $2', ['paper', orderId])).rows[0];

/**
 * Redis whose first MULTI that writes the broker state, once armed, fails without running: a
 * crash after the batch's effects (Postgres rows, produced events) and before its commit.
 */
function crashingRedis(client: Redis, fault: { armed: boolean; crashes: number }): Redis {
  return new Proxy(client, {
    get(target, property) {
      // The stage lock commits on a connection of its own, duplicated from this one.
      if (property === 'duplicate') return () => crashingRedis(target.duplicate(), fault);
      if (property !== 'multi') {
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return () => {
        const multi = target.multi();
        const set = multi.set.bind(multi) as (...args: unknown[]) => unknown;
        const exec = multi.exec.bind(multi);
        let writesState = false;
        Object.assign(multi, {
          set: (...args: unknown[]) => {
            if (args[0] === brokerStateKey('paper')) writesState = true;
            return set(...args);
          },
          exec: async () => {
            if (!fault.armed || !writesState) return exec();
            fault.armed = false;
            fault.crashes += 1;
            throw new Error('simulated crash after the effects, before the Redis commit');
          },
        });
        return multi;
      };
    },
  });
}

const plain = { PAPER__SLIPPAGE_BPS: '5', PAPER__SLIPPAGE_JITTER_BPS: '0', PAPER__LATENCY_MS: '0', PAPER__STARTING_CASH_PAISE: '100000000' };

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateDatabase(db.url);
  pool = createPool({ database: { postgresUrl: db.url } });
  redisDb = await claimRedisDatabase();
  redis = new Redis(redisDb.url);
  producer = createEventProducer(kafka);
  await producer.connect();
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const r of running) r.controller.abort();
  await Promise.allSettled(running.map((r) => r.done));
  await Promise.allSettled(collectors.map((c) => c.stop()));
  await producer?.disconnect();
  await releaseBroker(admin, { topics: topicsCreated, groups: groupsUsed });
  redis?.disconnect();
  await redisDb?.release();
  await pool?.end();
  await db?.drop();
});

// ---- scenarios -----------------------------------------------------------------------------

describe('paper trading engine: orders', () => {
  it('fills a market order at submission, at its signal\'s price with slippage and Zerodha charges, whatever ticks surround it', async () => {
    const sc = await scenario('market');
    const out = await outputsOf(sc);
    const engine = startEngine(sc, testConfig(plain));
    // Ticks stamped after the signal but processed before it (a slow risk manager): they change nothing.
    await sendTicks(sc, [tick(RELIANCE, 250_000, 100), tick(INFY, 160_000, 200)]);
    const signal = validated({ instrumentToken: INFY, tradingsymbol: 'INFY', side: 'BUY', quantity: 20, referencePrice: 150_000 });
    await sendSignals(sc, [signal]);
    const orderId = orderIdFor(signal.id);
    expect(await out.submitted()).toMatchObject([
      {
        type: 'order_submitted',
        source: 'trading-engine',
        causationId: signal.id,
        correlationId: signal.correlationId,
        data: { orderId, strategyId: 'momentum-1', instrumentToken: INFY, side: 'BUY', quantity: 20, orderType: 'MARKET', submittedAt: signal.ts },
      },
    ]);

    // Filled with the submission, caused by the signal; the INFY ticks after it find no order.
    await sendTicks(sc, [tick(INFY, 170_000, 300), tick(INFY, 140_000, 400)]);
    const fills = await out.filled();
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ type: 'order_filled', causationId: signal.id, correlationId: signal.correlationId });
    // Price: 150000 x (1 + 5 bps) = 150075, a multiple of the 5-paise tick. Turnover 20 x 150075 = 3,001,500:
    // brokerage 0.03% = 900.45 -> 900 (under the ₹20 cap); STT on an intraday buy: 0;
    // exchange 0.00297% = 89.14455 -> 89; SEBI 0.0001% = 3.0015 -> 3; stamp duty 0.003% = 90.045 -> 90;
    // GST 18% of (900 + 89 + 3 = 992) = 178.56 -> 179; total 900 + 89 + 3 + 90 + 179 = 1,261.
    const charges = { brokerage: 900, stt: 0, exchangeTransaction: 89, sebi: 3, stampDuty: 90, gst: 179, total: 1_261 };
    expect(fills[0]!.data).toEqual({
      orderId,
      strategyId: 'momentum-1',
      instrumentToken: INFY,
      tradingsymbol: 'INFY',
      side: 'BUY',
      product: 'MIS',
      fillId: `${orderId}-1`,
      quantity: 20,
      price: 150_075,
      cumulativeQuantity: 20,
      remainingQuantity: 0,
      charges,
      filledAt: signal.ts,
    });

    expect(await fillRows()).toEqual([
      {
        fill_id: `${orderId}-1`,
        order_id: orderId,
        event_id: fills[0]!.id,
        side: 'BUY',
        quantity: 20,
        price_paise: 150_075,
        charges_paise: 1_261,
        charges,
        filled_at: new Date(signal.ts),
      },
    ]);
    expect(await orderRow(orderId)).toMatchObject({
      status: 'COMPLETE',
      order_type: 'MARKET',
      quantity: 20,
      filled_quantity: 20,
      average_price_paise: 150_075,
      correlation_id: signal.correlationId,
      submitted_at: new Date(signal.ts),
      failure_reason: null,
    });
    const state = JSON.parse((await redis.get(brokerStateKey('paper')))!);
    expect(state.orders).toEqual([]);
    expect(state.cash).toEqual({ 'momentum-1': 100_000_000 - 3_001_500 - 1_261 });
    await engine.stop();
  });

  it('keeps a limit order open until a tick crosses it, then fills at the better price', async () => {
    const sc = await scenario('limit');
    const out = await outputsOf(sc);
    const engine = startEngine(sc, testConfig(plain));
    const signal = validated({ side: 'SELL', quantity: 5, orderType: 'LIMIT', limitPrice: 251_000, referencePrice: 250_500 });
    await sendSignals(sc, [signal]);
    await sendTicks(sc, [tick(RELIANCE, 250_500, 100), tick(RELIANCE, 250_995, 200)]);
    expect(await out.filled()).toEqual([]);
    expect(await orderRow(orderIdFor(signal.id))).toMatchObject({ status: 'OPEN', filled_quantity: 0, limit_price_paise: 251_000 });

    const crossing = tick(RELIANCE, 251_200, 300);
    await sendTicks(sc, [crossing]);
    const fills = await out.filled();
    // A sell limit at 251000 meeting a last price of 251200 sells at 251200. Turnover 5 x 251200 = 1,256,000:
    // brokerage 0.03% = 376.8 -> 377; STT 0.025% on the sell = ₹3.14 -> ₹3 (whole rupees) = 300;
    // exchange 0.00297% = 37.3032 -> 37; SEBI 1.256 -> 1; no stamp duty on a sell;
    // GST 18% of (377 + 37 + 1 = 415) = 74.7 -> 75; total 377 + 300 + 37 + 1 + 75 = 790.
    expect(fills.map((f) => f.data)).toMatchObject([
      {
        side: 'SELL',
        quantity: 5,
        price: 251_200,
        remainingQuantity: 0,
        charges: { brokerage: 377, stt: 300, exchangeTransaction: 37, sebi: 1, stampDuty: 0, gst: 75, total: 790 },
        filledAt: crossing.ts,
      },
    ]);
    expect(fills[0]!.causationId).toBe(crossing.id);
    expect(await orderRow(orderIdFor(signal.id))).toMatchObject({ status: 'COMPLETE', filled_quantity: 5, average_price_paise: 251_200 });
    await engine.stop();
  });

  it('fills an order partly from one tick\'s depth and the rest on the next tick', async () => {
    const sc = await scenario('partial');
    const out = await outputsOf(sc);
    // Under a latency a MARKET order waits for the ticks (without, it fills at submission, with no book to cap it).
    const engine = startEngine(sc, testConfig({ ...plain, PAPER__LATENCY_MS: '50' }));
    const signal = validated({ instrumentToken: TCS, tradingsymbol: 'TCS', side: 'BUY', quantity: 30, referencePrice: 350_000 });
    await sendSignals(sc, [signal]);
    await sendTicks(sc, [tick(TCS, 350_000, 100, 12)]);
    const orderId = orderIdFor(signal.id);
    expect(await orderRow(orderId)).toMatchObject({ status: 'OPEN', filled_quantity: 12, average_price_paise: 350_175 });
    await sendTicks(sc, [tick(TCS, 350_400, 200, 50)]);
    const fills = (await out.filled()).map((f) => f.data);
    // Fill 1: 12 of 30 (the depth) at 350000 x 1.0005 = 350175; turnover 4,202,100: brokerage 1260.63 -> 1261;
    //   exchange 124.80 -> 125; SEBI 4.2021 -> 4; stamp 126.063 -> 126; GST 18% of 1390 = 250.2 -> 250; total 1,766.
    // The order's charges after fill 2 (18 at 350400 x 1.0005 = 350575.2 -> up to 350580): turnover 4,202,100 +
    //   6,310,440 = 10,512,540: brokerage 3153.76 capped at 2000; exchange 312.22 -> 312; SEBI 10.51 -> 11;
    //   stamp 315.37 -> 315; GST 18% of 2323 = 418.14 -> 418; total 3,056. Fill 2 is charged the difference:
    //   brokerage 739, exchange 187, SEBI 7, stamp 189, GST 168, total 1,290.
    expect(fills).toMatchObject([
      { fillId: `${orderId}-1`, quantity: 12, price: 350_175, cumulativeQuantity: 12, remainingQuantity: 18,
        charges: { brokerage: 1_261, stt: 0, exchangeTransaction: 125, sebi: 4, stampDuty: 126, gst: 250, total: 1_766 } },
      { fillId: `${orderId}-2`, quantity: 18, price: 350_580, cumulativeQuantity: 30, remainingQuantity: 0,
        charges: { brokerage: 739, stt: 0, exchangeTransaction: 187, sebi: 7, stampDuty: 189, gst: 168, total: 1_290 } },
    ]);
    // 10,512,540 / 30 = 350,418 exactly.
    expect(await orderRow(orderId)).toMatchObject({ status: 'COMPLETE', filled_quantity: 30, average_price_paise: 350_418 });
    expect((await fillRows()).map((r) => [r.fill_id, r.quantity, r.charges_paise])).toEqual([
      [`${orderId}-1`, 12, 1_766],
      [`${orderId}-2`, 18, 1_290],
    ]);
    await engine.stop();
  });

  it('fails an order the strategy\'s cash cannot pay for, with the reason', async () => {
    const sc = await scenario('cash');
    const out = await outputsOf(sc);
    const engine = startEngine(sc, testConfig({ ...plain, PAPER__STARTING_CASH_PAISE: '1000000' }));
    const signal = validated({ side: 'BUY', quantity: 10, referencePrice: 250_000, product: 'CNC' });
    await sendSignals(sc, [signal]);
    // Delivery needs the full 10 x 250000 = 2,500,000 plus charges: no brokerage, STT 0.1% = ₹25,
    // exchange 74.25 -> 74, SEBI 2.5 -> 3, stamp 0.015% = 375, GST 18% of 77 = 13.86 -> 14; total
    // 2,966: ₹25,029.66 against ₹10,000.00.
    const reason = 'insufficient cash: order needs ₹25029.66, available ₹10000.00';
    const orderId = orderIdFor(signal.id);
    expect(await out.rejected()).toMatchObject([
      { type: 'order_rejected', causationId: signal.id, data: { orderId, side: 'BUY', quantity: 10, reason, rejectedAt: signal.ts } },
    ]);
    expect(await out.submitted()).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'REJECTED', filled_quantity: 0, failure_reason: reason });
    await sendTicks(sc, [tick(RELIANCE, 250_000, 100)]);
    expect(await out.filled()).toEqual([]);
    await engine.stop();
  });

  it('dead-letters malformed messages on both inputs and keeps trading', async () => {
    const sc = await scenario('poison');
    const out = await outputsOf(sc);
    const engine = startEngine(sc, testConfig(plain));
    const badTick = { ...tick(RELIANCE, 250_000, 0), data: { ...makeTick(250_000), lastPrice: -5 } };
    await producer.sendRaw({
      topic: sc.topics.signalsValidated,
      messages: [
        { key: 'momentum-1:738561', value: 'not json' },
        { key: 'momentum-1:738561', value: JSON.stringify(tick(RELIANCE, 250_000, 0)) }, // a tick where a signal belongs
      ],
    });
    await producer.sendRaw({ topic: sc.ticks, messages: [{ key: String(RELIANCE), value: JSON.stringify(badTick) }] });
    const signal = validated({ quantity: 1 }, 10);
    await sendSignals(sc, [signal]);
    await sendTicks(sc, [tick(RELIANCE, 250_000, 100)]);

    expect((await out.filled()).map((f) => f.data.orderId)).toEqual([orderIdFor(signal.id)]);
    const signalDlq = await (await collect(dlqTopic(sc.topics.signalsValidated))).read();
    const tickDlq = await (await collect(dlqTopic(sc.ticks))).read();
    expect(signalDlq.map((m) => m.message.value!.toString())).toEqual(['not json', expect.stringContaining('tick_received')]);
    expect(signalDlq.map((m) => readDeadLetterHeaders(m.message.headers))).toMatchObject([
      { originTopic: sc.topics.signalsValidated, reason: expect.stringContaining('not JSON') },
      { originTopic: sc.topics.signalsValidated, reason: expect.stringContaining('unexpected event type') },
    ]);
    expect(tickDlq.map((m) => readDeadLetterHeaders(m.message.headers))).toMatchObject([
      { originTopic: sc.ticks, reason: expect.stringContaining('data.lastPrice') },
    ]);
    expect(engine.service.health()).toMatchObject({ state: 'running', deadLettered: 3 });
    await engine.stop();
  });
});

describe('paper trading engine: trading safety', () => {
  it('halts new exposure while the kill switch is on: a BUY is rejected, a resting entry cancelled, an exit still fills', async () => {
    const sc = await scenario('kill-switch');
    const out = await outputsOf(sc);
    const engine = startEngine(sc, testConfig(plain));
    const entry = validated({ side: 'BUY', quantity: 10, referencePrice: 250_000, stopLossPrice: 245_000 });
    const resting = validated({ instrumentToken: TCS, tradingsymbol: 'TCS', side: 'BUY', quantity: 5, orderType: 'LIMIT', limitPrice: 340_000, referencePrice: 350_000 }, 10);
    await sendSignals(sc, [entry, resting]);
    await sendTicks(sc, [tick(RELIANCE, 250_000, 100)]); // the entry filled at submission and placed its stop-loss
    const stopLossId = `${orderIdFor(entry.id)}-sl`;
    expect((await out.submitted()).map((e) => e.data.orderId)).toContain(stopLossId);

    await turnKillSwitchOn(redis, 'paper', 'test halt');
    const fresh = validated({ instrumentToken: INFY, tradingsymbol: 'INFY', side: 'BUY', quantity: 5, referencePrice: 150_000 }, 200);
    await sendSignals(sc, [fresh]);
    // The TCS tick crosses the resting limit; the RELIANCE tick triggers the stop-loss.
    await sendTicks(sc, [tick(TCS, 339_000, 300), tick(INFY, 150_000, 350), tick(RELIANCE, 244_000, 400)]);

    const reason = 'kill switch on: new exposure halted (test halt)';
    expect((await out.rejected()).map((e) => [e.data.orderId, e.data.reason])).toEqual([[orderIdFor(fresh.id), reason]]);
    expect((await out.cancelled()).map((e) => [e.data.orderId, e.data.quantity, e.data.reason])).toEqual([[orderIdFor(resting.id), 5, reason]]);
    const fills = (await out.filled()).map((e) => [e.data.orderId, e.data.side, e.data.quantity]);
    expect(fills).toEqual([
      [orderIdFor(entry.id), 'BUY', 10],
      [stopLossId, 'SELL', 10],
    ]);
    expect(await orderRow(orderIdFor(resting.id))).toMatchObject({ status: 'CANCELLED', filled_quantity: 0, failure_reason: reason });
    expect(await orderRow(orderIdFor(fresh.id))).toMatchObject({ status: 'REJECTED', failure_reason: reason });
    expect(await orderRow(stopLossId)).toMatchObject({ status: 'COMPLETE', filled_quantity: 10 });
    const state = JSON.parse((await redis.get(brokerStateKey('paper')))!);
    expect([state.orders, state.positions, state.reservations]).toEqual([[], {}, {}]);
    await engine.stop();
  });

  it('squares off an MIS position at 15:20 IST: its exits cancelled, a MARKET order placed and filled at the next tick', async () => {
    const sc = await scenario('square-off');
    const out = await outputsOf(sc);
    const engine = startEngine(sc, testConfig(plain));
    // Monday 2026-11-23, 15:10 IST (T0 is 10:00 IST the day after).
    const day = -24 * 3_600_000 + (5 * 60 + 10) * 60_000;
    const entry = validated({ side: 'BUY', quantity: 10, referencePrice: 250_000, takeProfitPrice: 260_000, stopLossPrice: 240_000 }, day);
    // A MARKET entry: it fills at submission and places its exits.
    await sendSignals(sc, [entry]);
    // The strategy sells 4 itself (filled at submission too): its exits are cut to the 6 left, and the rows show it.
    const partial = validated({ side: 'SELL', quantity: 4, referencePrice: 250_000 }, day + 2_000);
    await sendSignals(sc, [partial]);
    const exits = [`${orderIdFor(entry.id)}-tp`, `${orderIdFor(entry.id)}-sl`];
    for (const id of exits) expect(await orderRow(id)).toMatchObject({ status: 'OPEN', quantity: 6, filled_quantity: 0 });

    // 15:20:00 on another instrument's tick: nothing of TCS is open, yet the day's deadline is due.
    await sendTicks(sc, [tick(TCS, 350_000, day + 10 * 60_000)]);
    const squareOffId = squareOffOrderId('momentum-1', RELIANCE, '2026-11-23');
    expect((await out.cancelled()).map((e) => [e.data.orderId, e.data.quantity, e.data.reason])).toEqual([
      ...exits.map((id) => [id, 4, `position reduced to 6 by ${orderIdFor(partial.id)}`]),
      ...exits.map((id) => [id, 6, 'auto square-off at 15:20 IST: position closed at market']),
    ]);
    expect((await out.submitted()).find((e) => e.data.orderId === squareOffId)?.data).toMatchObject({
      side: 'SELL',
      product: 'MIS',
      quantity: 6,
      orderType: 'MARKET',
      submittedAt: new Date(T0 + day + 10 * 60_000).toISOString(),
    });
    expect(await orderRow(squareOffId)).toMatchObject({ status: 'OPEN', order_type: 'MARKET', quantity: 6 });
    for (const id of exits) expect(await orderRow(id)).toMatchObject({ status: 'CANCELLED', quantity: 6 });

    await sendTicks(sc, [tick(RELIANCE, 251_000, day + 10 * 60_000 + 500)]);
    // At the signals' 250000: x (1 + 5 bps) = 250125, x (1 - 5 bps) = 249875 exactly; the square-off
    // at the next tick's 251000 x (1 - 5 bps) = 250874.5 -> down to 250870
    expect((await out.filled()).map((e) => [e.data.orderId, e.data.side, e.data.quantity, e.data.price])).toEqual([
      [orderIdFor(entry.id), 'BUY', 10, 250_125],
      [orderIdFor(partial.id), 'SELL', 4, 249_875],
      [squareOffId, 'SELL', 6, 250_870],
    ]);
    expect(await orderRow(squareOffId)).toMatchObject({ status: 'COMPLETE', filled_quantity: 6, average_price_paise: 250_870 });
    const state = JSON.parse((await redis.get(brokerStateKey('paper')))!);
    expect([state.orders, state.positions]).toEqual([[], {}]);
    await engine.stop();
  });
});

// A day with every kind of order: a market entry with take-profit and stop-loss exits (the
// take-profit fills and cancels the stop-loss), a sell limit, a market order filled in two parts
// by the depth, and a buy stop, under 500 ms latency (so the market orders wait for ticks) and
// 0-20 bps of random slippage.
const dayConfig = () => testConfig({ ...plain, PAPER__SLIPPAGE_JITTER_BPS: '20', PAPER__LATENCY_MS: '500', PAPER__SEED: '11' });

function tradingDay() {
  return {
    signals: [
      validated({ side: 'BUY', quantity: 10, referencePrice: 250_000, takeProfitPrice: 255_000, stopLossPrice: 245_000 }),
      validated({ instrumentToken: TCS, tradingsymbol: 'TCS', side: 'SELL', quantity: 6, orderType: 'LIMIT', limitPrice: 352_000, referencePrice: 351_000 }),
      validated({ instrumentToken: INFY, tradingsymbol: 'INFY', side: 'BUY', quantity: 25, referencePrice: 150_000 }),
      validated({ strategyId: 'breakout-1', side: 'BUY', quantity: 5, orderType: 'SL-M', triggerPrice: 252_000, referencePrice: 250_000 }),
    ],
    // At 200 ms nothing has reached the exchange yet; at 900 ms the exits (placed at 600) have not.
    early: [tick(RELIANCE, 250_000, 200), tick(RELIANCE, 250_100, 600), tick(TCS, 351_000, 700), tick(INFY, 150_000, 800, 10), tick(RELIANCE, 252_500, 900)],
    late: [tick(TCS, 352_500, 1_000), tick(RELIANCE, 255_500, 1_200), tick(INFY, 150_200, 1_300, 100), tick(RELIANCE, 244_000, 1_500)],
  };
}
type Day = ReturnType<typeof tradingDay>;

/** The comparable part of an event: everything but the wall-clock envelope time. */
const comparable = ({ ts: _ts, ...rest }: Envelope) => rest;
const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

async function readDay(out: Awaited<ReturnType<typeof outputsOf>>) {
  return [...(await out.submitted()), ...(await out.filled()), ...(await out.rejected()), ...(await out.cancelled())];
}

async function runDay(name: string, day: Day) {
  const sc = await scenario(name);
  const out = await outputsOf(sc);
  const engine = startEngine(sc, dayConfig());
  await sendSignals(sc, day.signals);
  await sendTicks(sc, day.early);
  await sendTicks(sc, day.late);
  const events = (await readDay(out)).map(comparable).sort(byId);
  await engine.stop();
  return { events, fills: await fillRows(), state: JSON.parse((await redis.get(brokerStateKey('paper')))!) };
}

describe('paper trading engine: determinism and recovery', () => {
  const day = tradingDay();
  let reference: Awaited<ReturnType<typeof runDay>> | undefined;
  const referenceRun = async () => (reference ??= await runDay('day-ref', day));

  it('gives identical events, ids and figures, for the same inputs and seed', async () => {
    const first = await referenceRun();
    const count = (type: string) => first.events.filter((e) => e.type === type).length;
    expect([count('order_submitted'), count('order_filled'), count('order_rejected'), count('order_cancelled')]).toEqual([6, 6, 0, 1]);
    expect(first.events.find((e) => e.type === 'order_cancelled')!.data).toMatchObject({ reason: expect.stringMatching(/^one-cancels-other/) });
    // The seeded jitter is really drawn: some market fill is not at the plain 5 bps slippage.
    const tickPrice = new Map([...day.early, ...day.late].map((t) => [t.ts, t.data.lastPrice]));
    const marketFills = first.events.filter((e) => e.type === 'order_filled' && !String((e.data as { orderId: string }).orderId).endsWith('-tp'));
    const plainPrice = (e: (typeof marketFills)[number]) => {
      const data = e.data as { filledAt: string; side: 'BUY' | 'SELL' };
      return slippedPrice(paise(tickPrice.get(data.filledAt)!), data.side, { ...DEFAULT_PAPER_BROKER_CONFIG, slippageBps: 5 }, mulberry32(1));
    };
    expect(marketFills.some((e) => (e.data as { price: number }).price !== plainPrice(e))).toBe(true);

    const second = await runDay('day-again', day);
    expect(second.events).toEqual(first.events);
    expect(second.fills).toEqual(first.fills);
    expect(second.state).toEqual(first.state);
  });

  it('resumes after a crash before a commit and a restart mid-stream: the same fills, none booked twice', async () => {
    const expected = await referenceRun();
    const sc = await scenario('day-crash');
    const out = await outputsOf(sc);
    const fault = { armed: false, crashes: 0 };
    const first = startEngine(sc, dayConfig(), crashingRedis(redis, fault));
    await sendSignals(sc, day.signals);
    fault.armed = true;
    await sendTicks(sc, day.early);
    expect(fault.crashes).toBe(1); // the first batch that filled something crashed, was retried, and went through
    await first.stop();

    const second = startEngine(sc, dayConfig());
    // Upstream replays re-emit signals with their ids; ticks are never re-published (the feed
    // makes each envelope once), so the engine resumes on the log where it committed.
    await sendSignals(sc, day.signals); // a replay of every signal so far...
    await sendTicks(sc, day.late); // ...and the rest of the day's ticks
    const events = await readDay(out);

    // The crashed batch's events were produced twice, with the same ids and content; nothing else was.
    const copies = new Map<string, ReturnType<typeof comparable>[]>();
    for (const event of events) copies.set(event.id, [...(copies.get(event.id) ?? []), comparable(event)]);
    const repeated = [...copies.values()].filter((list) => list.length > 1);
    expect(repeated.length).toBeGreaterThan(0);
    for (const list of repeated) expect(list.every((event) => JSON.stringify(event) === JSON.stringify(list[0]))).toBe(true);
    expect([...copies.values()].map((list) => list[0]!).sort(byId)).toEqual(expected.events);

    expect(await fillRows()).toEqual(expected.fills);
    expect(JSON.parse((await redis.get(brokerStateKey('paper')))!)).toEqual(expected.state);
    expect(second.service.health().processed).toBeGreaterThan(0);
    await second.stop();
  });

  it('fills market orders at submission the same after a crash before the commit, their jitter drawn by order id', async () => {
    const config = testConfig({ ...plain, PAPER__SLIPPAGE_JITTER_BPS: '20', PAPER__SEED: '11' });
    const signals = [
      validated({ side: 'BUY', quantity: 10, referencePrice: 250_000, stopLossPrice: 245_000 }),
      validated({ instrumentToken: TCS, tradingsymbol: 'TCS', side: 'SELL', quantity: 6, referencePrice: 351_000 }, 10),
    ];
    const runOnce = async (name: string, fault?: { armed: boolean; crashes: number }) => {
      const sc = await scenario(name);
      const out = await outputsOf(sc);
      const engine = startEngine(sc, config, fault ? crashingRedis(redis, fault) : redis);
      await sendSignals(sc, signals);
      const events = await readDay(out);
      await engine.stop();
      return { events, fills: await fillRows(), state: JSON.parse((await redis.get(brokerStateKey('paper')))!) };
    };
    const clean = await runOnce('submit-ref');
    const fault = { armed: true, crashes: 0 };
    const crashed = await runOnce('submit-crash', fault);
    expect(fault.crashes).toBe(1);

    // Each order's price is its reference price slipped by 5 bps plus a jitter its order id seeds.
    const slipped = (signal: (typeof signals)[number]) => {
      const { referencePrice, side } = signal.data.signal;
      const jitter = { ...DEFAULT_PAPER_BROKER_CONFIG, slippageBps: 5, slippageJitterBps: 20 };
      return slippedPrice(paise(referencePrice), side, jitter, mulberry32(orderSeed(11, orderIdFor(signal.id))));
    };
    const filledOf = (events: Envelope[]) => events.filter((e) => e.type === 'order_filled').map((e) => e.data as { orderId: string; price: number; filledAt: string });
    const sorted = (rows: (string | number)[][]) => rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(sorted(filledOf(clean.events).map((f) => [f.orderId, f.price, f.filledAt]))).toEqual(sorted(signals.map((s) => [orderIdFor(s.id), slipped(s), s.ts])));
    expect(clean.events.map((e) => e.type).sort()).toEqual(['order_filled', 'order_filled', 'order_submitted', 'order_submitted', 'order_submitted']);

    // The crashed batch's events went out twice, the same; rows and state are as without the crash.
    const unique = new Map(crashed.events.map((e) => [e.id, comparable(e)]));
    expect(crashed.events.length).toBeGreaterThan(unique.size);
    for (const event of crashed.events) expect(comparable(event)).toEqual(unique.get(event.id));
    expect([...unique.values()].sort(byId)).toEqual(clean.events.map(comparable).sort(byId));
    expect(crashed.fills).toEqual(clean.fills);
    expect(crashed.state).toEqual(clean.state);
  });
});
