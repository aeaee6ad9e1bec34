// The portfolio manager against the real Kafka, Redis and Postgres: fills and ticks in, the
// portfolio hot state in Redis, P&L snapshots in Postgres and on the pnl topic. Each scenario has
// its own topics and consumer group; the Redis database is emptied between scenarios. Inputs
// are produced in phases, waiting each time until the manager has committed everything.
import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type Charges, type Envelope } from '../core/domain/events';
import { derivedEventId } from '../core/domain/ids';
import { dlqTopic, marketTicksTopic, namespaceTopics, strategyInstrumentKey, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { makeTick } from '../core/domain/trading/testing';
import { createKafka } from '../core/kafka/client';
import { readDeadLetterHeaders } from '../core/kafka/dead-letter';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool, type Pool } from '../core/postgres/pool';
import type { StreamingService } from '../core/service';
import { createPortfolioManagerService } from '../services/portfolio-manager/service';
import { portfolioIndexKey, portfolioKey } from '../services/portfolio-manager/store';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './support/stack';
import { waitFor } from './support/temporal';
import { collectTopic, waitConsumed as waitConsumedBy, releaseBroker } from './support/topics';

configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const run = randomUUID().slice(0, 8);
const kafka = createKafka(testConfig(), `it-portfolio-${run}`);
const RELIANCE = 738_561;
const INFY = 408_065;
const T0 = Date.parse('2026-11-24T04:30:00.000Z'); // 10:00 IST
const at = (ms: number) => new Date(T0 + ms);
const config = testConfig({ PAPER__STARTING_CASH_PAISE: '10000000', PORTFOLIO__SNAPSHOT_INTERVAL_MS: '60000' }); // ₹1,00,000

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
  const wanted = [topics.ordersFilled, ticks, topics.pnlSnapshots, topics.contractNotes, dlqTopic(topics.ordersFilled), dlqTopic(ticks)];
  const specs = topicSpecs(['paper'], prefix).filter((s) => wanted.includes(s.name));
  topicsCreated.push(...specs.map((s) => s.name));
  // Creation is idempotent; a broker busy with other runs sometimes answers the leader check with
  // "does not host this topic-partition" for a topic it has just created, so ask again.
  await waitFor(() => bootstrapTopics(kafka, specs), `topics ${prefix}*`, 30_000);
  const groupId = `test-${run}-${name}-portfolio`;
  groupsUsed.push(groupId);
  await redis.flushdb();
  await pool.query('truncate portfolio_snapshots');
  return { topics, ticks, groupId };
}

function startManager(sc: Scenario): { service: StreamingService; stop(): Promise<void> } {
  const service = createPortfolioManagerService({
    config,
    namespace: 'paper',
    kafka,
    redis,
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

const symbols: Record<number, string> = { [RELIANCE]: 'RELIANCE', [INFY]: 'INFY' };

function fill(strategyId: string, token: number, side: 'BUY' | 'SELL', quantity: number, price: number, charges: Charges, ms: number) {
  const orderId = randomUUID();
  return createEvent({
    type: 'order_filled',
    source: 'trading-engine',
    namespace: 'paper',
    data: {
      orderId,
      strategyId,
      instrumentToken: token,
      tradingsymbol: symbols[token]!,
      side,
      product: 'MIS',
      fillId: `${orderId}-1`,
      quantity,
      price,
      cumulativeQuantity: quantity,
      remainingQuantity: 0,
      charges,
      filledAt: at(ms).toISOString(),
    },
    now: at(ms),
  });
}

const tick = (token: number, price: number, ms: number) =>
  createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(price, { instrumentToken: token, tradingsymbol: symbols[token]! }), now: at(ms) });

async function sendFills(sc: Scenario, events: Envelope<'order_filled'>[]) {
  await producer.sendBatch(events.map((envelope) => ({
    topic: sc.topics.ordersFilled,
    key: strategyInstrumentKey(envelope.data.strategyId, envelope.data.instrumentToken),
    envelope,
  })));
  await waitConsumed(sc.groupId, [sc.topics.ordersFilled]);
}

async function sendTicks(sc: Scenario, events: Envelope<'tick_received'>[]) {
  await producer.sendBatch(events.map((envelope) => ({ topic: sc.ticks, key: String(envelope.data.instrumentToken), envelope })));
  await waitConsumed(sc.groupId, [sc.ticks]);
}

const hotState = async (strategyId: string) => JSON.parse((await redis.get(portfolioKey('paper', strategyId)))!);

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

// ---- the trading day -----------------------------------------------------------------------

const charges = (brokerage: number, stt: number, exchangeTransaction: number, sebi: number, stampDuty: number, gst: number): Charges => ({
  brokerage,
  stt,
  exchangeTransaction,
  sebi,
  stampDuty,
  gst,
  total: brokerage + stt + exchangeTransaction + sebi + stampDuty + gst,
});

/**
 * momentum-1 trades INFY (all intraday, figures in paise; charges as Zerodha computes them):
 *   F1 BUY 20 @ 150075, charges 1261: qty 20, cost 3,001,500; cash 10,000,000 - 3,001,500 - 1,261 = 6,997,239
 *   F2 BUY 10 @ 151000 (turnover 1,510,000: brokerage 453, exchange 44.85 -> 45, SEBI 1.51 -> 2, stamp 45.3 -> 45,
 *      GST 18% of 500 = 90; total 635): qty 30, cost 4,511,500; cash 6,997,239 - 1,510,000 - 635 = 5,486,604
 *   tick 153000: unrealized 30 x 153,000 - 4,511,500 = 78,500
 *   F3 SELL 12 @ 152500 (turnover 1,830,000: brokerage 549, STT ₹4.575 -> ₹5 = 500, exchange 54.35 -> 54,
 *      SEBI 1.83 -> 2, GST 18% of 605 = 108.9 -> 109; total 1,214): releases 4,511,500 x 12/30 = 1,804,600 of cost;
 *      realized 1,830,000 - 1,804,600 = 25,400; qty 18, cost 2,706,900; cash 5,486,604 + 1,830,000 - 1,214 = 7,315,390
 *   tick 149000: unrealized 18 x 149,000 - 2,706,900 = -24,900; average 2,706,900 / 18 = 150,383.3 -> 150,383
 *   charges paid 1,261 + 635 + 1,214 = 3,110. Check: cash + 18 x 149,000 = 9,997,390 = start - 2,610
 *   = start + realized + unrealized - charges.
 * rsi-1 sells RELIANCE short:
 *   F4 SELL 5 @ 251200, charges 790: qty -5, cost -1,256,000; cash 10,000,000 + 1,256,000 - 790 = 11,255,210
 *   tick 250000: unrealized -5 x 250,000 + 1,256,000 = 6,000
 */
function tradingDay() {
  return {
    buys: [fill('momentum-1', INFY, 'BUY', 20, 150_075, charges(900, 0, 89, 3, 90, 179), 0), fill('momentum-1', INFY, 'BUY', 10, 151_000, charges(453, 0, 45, 2, 45, 90), 1_000)],
    rally: [tick(INFY, 153_000, 2_000)],
    sells: [fill('momentum-1', INFY, 'SELL', 12, 152_500, charges(549, 500, 54, 2, 0, 109), 3_000), fill('rsi-1', RELIANCE, 'SELL', 5, 251_200, charges(377, 300, 37, 1, 0, 75), 3_000)],
    close: [tick(INFY, 149_000, 10_000), tick(RELIANCE, 250_000, 10_000)],
  };
}
type Day = ReturnType<typeof tradingDay>;

const momentumView = (asOf: string) => ({
  strategyId: 'momentum-1',
  cash: 7_315_390,
  realizedPnl: 25_400,
  unrealizedPnl: -24_900,
  chargesPaid: 3_110,
  // fillSequence: the offset of its third fill; momentum-1:INFY and rsi-1:RELIANCE are keys of
  // different partitions (murmur2 % 6 = 4 and 0), so each position's fills start at offset 0.
  positions: [{ instrumentToken: INFY, quantity: 18, averagePrice: 150_383, lastPrice: 149_000, realizedPnl: 25_400, unrealizedPnl: -24_900, fillSequence: 2 }],
  asOf,
});
const rsiView = (asOf: string) => ({
  strategyId: 'rsi-1',
  cash: 11_255_210,
  realizedPnl: 0,
  unrealizedPnl: 6_000,
  chargesPaid: 790,
  positions: [{ instrumentToken: RELIANCE, quantity: -5, averagePrice: 251_200, lastPrice: 250_000, realizedPnl: 0, unrealizedPnl: 6_000, fillSequence: 0 }],
  asOf,
});

async function trade(sc: Scenario, day: Day) {
  await sendFills(sc, day.buys);
  await sendTicks(sc, day.rally);
  expect((await hotState('momentum-1')).current).toMatchObject({ unrealizedPnl: 78_500, cash: 5_486_604, chargesPaid: 1_896 });
  await sendFills(sc, day.sells);
  await sendTicks(sc, day.close);
}

// ---- scenarios -----------------------------------------------------------------------------

describe('portfolio manager', () => {
  it('books fills and ticks into exact positions, cash, P&L and charges, and snapshots them on schedule', async () => {
    const sc = await scenario('book');
    const pnl = await collect(sc.topics.pnlSnapshots);
    const manager = startManager(sc);
    await trade(sc, tradingDay());

    expect((await hotState('momentum-1')).current).toEqual(momentumView(at(10_000).toISOString()));
    expect((await hotState('rsi-1')).current).toEqual(rsiView(at(10_000).toISOString()));
    expect((await redis.smembers(portfolioIndexKey('paper'))).sort()).toEqual(['momentum-1', 'rsi-1']);
    // Ten seconds of event time: no snapshot yet.
    expect(await pnl.read()).toEqual([]);

    // 65 s after momentum-1's first fill and 62 s after rsi-1's: both are due, as of that tick.
    const due = tick(RELIANCE, 250_000, 65_000);
    await sendTicks(sc, [due]);
    const asOf = at(65_000).toISOString();
    const events = (await pnl.read()).map(({ message }) => ({ key: message.key!.toString(), envelope: JSON.parse(message.value!.toString()) as Envelope<'pnl_snapshot'> }));
    expect(events.sort((a, b) => a.key.localeCompare(b.key))).toMatchObject([
      { key: 'momentum-1', envelope: { type: 'pnl_snapshot', id: derivedEventId(due.id, 'pnl_snapshot:momentum-1'), causationId: due.id, data: momentumView(asOf) } },
      { key: 'rsi-1', envelope: { type: 'pnl_snapshot', id: derivedEventId(due.id, 'pnl_snapshot:rsi-1'), causationId: due.id, data: rsiView(asOf) } },
    ]);
    const { rows } = await pool.query('select * from portfolio_snapshots order by strategy_id');
    expect(rows).toMatchObject([
      {
        namespace: 'paper',
        strategy_id: 'momentum-1',
        cash_paise: 7_315_390,
        realized_pnl_paise: 25_400,
        unrealized_pnl_paise: -24_900,
        charges_paid_paise: 3_110,
        positions: momentumView(asOf).positions,
        as_of: at(65_000),
        event_id: derivedEventId(due.id, 'pnl_snapshot:momentum-1'),
      },
      { strategy_id: 'rsi-1', cash_paise: 11_255_210, unrealized_pnl_paise: 6_000, charges_paid_paise: 790, event_id: derivedEventId(due.id, 'pnl_snapshot:rsi-1') },
    ]);
    // Nothing changed since: a minute later there is nothing to snapshot.
    await sendTicks(sc, [tick(RELIANCE, 250_000, 130_000)]);
    expect(await pnl.read()).toHaveLength(2);
    await manager.stop();
  });

  it('rebuilds the same state after a restart and never books a replayed fill twice', async () => {
    const sc = await scenario('restart');
    const day = tradingDay();
    const first = startManager(sc);
    await trade(sc, day);
    await first.stop();
    const saved = await Promise.all(['momentum-1', 'rsi-1'].map((id) => redis.get(portfolioKey('paper', id))));

    const second = startManager(sc);
    // Everything again, as a consumer reset or an upstream replay would deliver it.
    await sendFills(sc, [...day.buys, ...day.sells]);
    await sendTicks(sc, [...day.rally, ...day.close]);
    expect(await Promise.all(['momentum-1', 'rsi-1'].map((id) => redis.get(portfolioKey('paper', id))))).toEqual(saved);
    expect(second.service.health().processed).toBe(day.buys.length + day.sells.length + day.rally.length + day.close.length);

    // A new fill books against the rebuilt cost basis: SELL 18 @ 150000 closes the position.
    // Turnover 2,700,000: brokerage 810, STT ₹6.75 -> ₹7 = 700, exchange 80.19 -> 80, SEBI 2.7 -> 3,
    // GST 18% of 893 = 160.74 -> 161; total 1,754. Realized 2,700,000 - 2,706,900 = -6,900, so
    // 25,400 - 6,900 = 18,500 in all; cash 7,315,390 + 2,700,000 - 1,754 = 10,013,636.
    await sendFills(sc, [fill('momentum-1', INFY, 'SELL', 18, 150_000, charges(810, 700, 80, 3, 0, 161), 20_000)]);
    expect((await hotState('momentum-1')).current).toEqual({
      strategyId: 'momentum-1',
      cash: 10_013_636,
      realizedPnl: 18_500,
      unrealizedPnl: 0,
      chargesPaid: 4_864,
      // Offsets 0-2: the day's fills, 3-5: their replay (skipped), 6: this one.
      positions: [{ instrumentToken: INFY, quantity: 0, averagePrice: 0, lastPrice: 149_000, realizedPnl: 18_500, unrealizedPnl: 0, fillSequence: 6 }],
      asOf: at(20_000).toISOString(),
    });
    // Flat again: cash - start = 13,636 = realized 18,500 - charges 4,864.
    await second.stop();
  });

  it('dead-letters malformed messages on both inputs and keeps booking', async () => {
    const sc = await scenario('poison');
    const manager = startManager(sc);
    const badFill = fill('momentum-1', INFY, 'BUY', 1, 150_000, charges(45, 0, 4, 0, 5, 9), 0);
    await producer.sendRaw({
      topic: sc.topics.ordersFilled,
      messages: [
        { key: 'momentum-1:408065', value: '{"truncated":' },
        { key: 'momentum-1:408065', value: JSON.stringify({ ...badFill, data: { ...badFill.data, price: 0 } }) },
      ],
    });
    await producer.sendRaw({ topic: sc.ticks, messages: [{ key: String(INFY), value: JSON.stringify(badFill) }] }); // a fill where ticks belong
    await sendFills(sc, [fill('momentum-1', INFY, 'BUY', 2, 150_000, charges(90, 0, 9, 0, 9, 18), 1_000)]);
    await sendTicks(sc, [tick(INFY, 151_000, 2_000)]);

    expect((await hotState('momentum-1')).current).toMatchObject({ cash: 10_000_000 - 300_000 - 126, unrealizedPnl: 2_000, chargesPaid: 126 });
    const fillsDlq = await (await collect(dlqTopic(sc.topics.ordersFilled))).read();
    const ticksDlq = await (await collect(dlqTopic(sc.ticks))).read();
    expect(fillsDlq.map((m) => readDeadLetterHeaders(m.message.headers))).toMatchObject([
      { originTopic: sc.topics.ordersFilled, reason: expect.stringContaining('not JSON') },
      { originTopic: sc.topics.ordersFilled, reason: expect.stringContaining('data.price') },
    ]);
    expect(ticksDlq.map((m) => readDeadLetterHeaders(m.message.headers))).toMatchObject([
      { originTopic: sc.ticks, reason: expect.stringContaining('unexpected event type') },
    ]);
    expect(manager.service.health()).toMatchObject({ state: 'running', deadLettered: 3 });
    await manager.stop();
  });
});
