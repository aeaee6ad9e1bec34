// The risk manager against the real broker, Redis and Postgres: signals, fills and P&L snapshots
// produced on real topics, last prices where the market feed publishes them, decisions read back from the validated and rejected topics,
// limits from real strategy rows and configuration, the kill switch through the real CLI.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type Envelope, type OrderFilled, type PnlSnapshot, type Signal } from '../core/domain/events';
import { derivedEventId } from '../core/domain/ids';
import type { BrokerNamespace } from '../core/domain/namespace';
import { dlqTopic, marketTicksTopic, namespaceTopics, stageInputs, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { NO_CHARGES } from '../core/domain/trading/charges';
import { RISK_RULES } from '../core/domain/trading/risk';
import { makeSignal, makeTick, RELIANCE } from '../core/domain/trading/testing';
import { BROKER_RETRY, createKafka } from '../core/kafka/client';
import { DLQ_HEADERS } from '../core/kafka/dead-letter';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool, type Pool } from '../core/postgres/pool';
import { createRedis } from '../core/redis/client';
import { recordLastPrices } from '../core/redis/last-prices';
import type { StreamingService } from '../core/service';
import { createRiskManagerService } from '../services/risk-manager/service';
import { riskStateKey } from '../services/risk-manager/store';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './support/stack';
import { waitFor } from './support/temporal';
import { releaseBroker } from './support/topics';

configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const NS = 'paper';
const run = `test-rm-${randomUUID().slice(0, 8)}`;
/** 10:30 IST on a trading day; the risk manager's clock in these tests. */
const TODAY = new Date('2026-11-25T05:00:00Z');
const TOMORROW = new Date('2026-11-26T05:00:00Z');
// A small default order value, to show the configured defaults apply where a strategy sets none.
const config = testConfig({ STRATEGIES__REFRESH_INTERVAL_MS: '100', RISK__MAX_ORDER_VALUE_PAISE: '1000000' });
const LIMITS = { maxPositionPerInstrument: 10, maxOrderValue: 5_000_000, maxDailyTradesPerStrategy: 2, priceBandBps: 100, maxDailyLossPerStrategy: 1_000_000 };

let db: TestDatabase;
let pool: Pool;
let redisDb: { url: string; release(): Promise<void> };
let redis: Redis;
let kafka: Kafka;
let admin: Admin;
let producer: EventProducer;
const topicsCreated: string[] = [];
const groupsUsed: string[] = [];
const stoppers: (() => Promise<void>)[] = [];

interface Received {
  topic: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  envelope: Envelope;
}

interface Pipeline {
  topics: NamespaceTopics;
  ticksTopic: string;
  groupId: string;
  inputs: string[];
  /** Everything that arrived on the decision topics and the input DLQs so far. */
  received: Received[];
}

const group = (label: string) => {
  const id = `${run}-${label}-${randomUUID().slice(0, 6)}`;
  groupsUsed.push(id);
  return id;
};

/** Topics for one pipeline, and a reader collecting the decision and dead-letter topics. */
async function pipeline(label: string, ns: BrokerNamespace = NS): Promise<Pipeline> {
  const prefix = `${run}-${label}.`;
  const topics = namespaceTopics(ns, prefix);
  const ticksTopic = marketTicksTopic(prefix);
  const inputs = stageInputs(ns, topics, ticksTopic)['risk-manager'].map((input) => input.topic);
  const outputs = [topics.signalsValidated, topics.signalsRejected, ...inputs.map(dlqTopic)];
  const wanted = new Set([...inputs, ...outputs]);
  const specs = topicSpecs([ns], prefix).filter((spec) => wanted.has(spec.name));
  await bootstrapTopics(kafka, specs);
  topicsCreated.push(...specs.map((spec) => spec.name));

  const received: Received[] = [];
  const reader: Consumer = kafka.consumer({ groupId: group(`${label}-reader`), retry: BROKER_RETRY });
  await reader.connect();
  await reader.subscribe({ topics: outputs, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const value = message.value?.toString('utf8') ?? '';
      let envelope: Envelope | undefined;
      try {
        envelope = JSON.parse(value) as Envelope;
      } catch {
        envelope = undefined;
      }
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      received.push({ topic, key: message.key?.toString('utf8') ?? null, value, headers, envelope: envelope! });
    },
  });
  stoppers.push(() => reader.disconnect());
  return { topics, ticksTopic, groupId: group(label), inputs, received };
}

function startRiskManager(p: Pipeline, now: Date, ns: BrokerNamespace = NS): { service: StreamingService; stop(): Promise<void> } {
  const service = createRiskManagerService({ config, namespace: ns, kafka, redis, postgres: pool, ...p, now: () => now, fromBeginning: true });
  const controller = new AbortController();
  const done = service.start(controller.signal);
  const stop = async () => {
    controller.abort();
    await done;
  };
  stoppers.push(stop);
  return { service, stop };
}

async function addStrategy(id: string, riskLimits: object = LIMITS, ns: BrokerNamespace = NS) {
  await pool.query(
    `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits)
     values ($1, $2, $2, 'low_frequency_demo', $3, '{"quantity": 1}', $4)`,
    [ns, id, [RELIANCE], JSON.stringify(riskLimits)],
  );
}

/** A tick's price, published as the market feed publishes it (the risk manager reads last prices, not ticks). */
async function sendTick(p: Pipeline, price: number) {
  await recordLastPrices(redis, p.ticksTopic, [createEvent({ type: 'tick_received', source: 'test-feed', namespace: 'shared', data: makeTick(price) })]);
}

/** A raw signal; its event time (`at`, default now) decides the IST trading day it counts towards. */
const signalEvent = (data: Partial<Signal>, at?: Date, ns: BrokerNamespace = NS) =>
  createEvent({ type: 'signal_generated', source: 'test-runner', namespace: ns, data: makeSignal({ referencePrice: 250_000, ...data }), now: at });

/** Sends a signal and waits for the decision it caused. */
async function decide(p: Pipeline, signal: Envelope<'signal_generated'>): Promise<Received> {
  await producer.send(p.topics.signalsRaw, `${signal.data.strategyId}:${RELIANCE}`, signal);
  return waitFor(async () => p.received.find((r) => r.envelope?.causationId === signal.id) ?? false, `the decision on ${signal.id}`);
}

/** The risk manager's saved view of a strategy. */
async function savedView(strategyId: string) {
  const text = await redis.get(riskStateKey(NS));
  return text ? JSON.parse(text).strategies[strategyId] : undefined;
}

const failedRules = (decision: Received) => (decision.envelope.data as { failedRules: string[] }).failedRules;

async function caughtUp(groupId: string, topics: string[]): Promise<boolean> {
  for (const topic of topics) {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const done = new Map(committed!.partitions.map((p) => [p.partition, p.offset]));
    if (!ends.every((end) => end.high === end.low || done.get(end.partition) === end.high)) return false;
  }
  return true;
}

/** True once the reader has every message the decision topics hold now. */
async function readerCaughtUp(p: Pipeline): Promise<boolean> {
  for (const topic of [p.topics.signalsValidated, p.topics.signalsRejected]) {
    const ends = await admin.fetchTopicOffsets(topic);
    const total = ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
    if (p.received.filter((r) => r.topic === topic).length < total) return false;
  }
  return true;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateDatabase(db.url);
  pool = createPool({ database: { postgresUrl: db.url } });
  redisDb = await claimRedisDatabase();
  redis = createRedis({ redis: { url: redisDb.url } });
  kafka = createKafka(config, run);
  admin = kafka.admin();
  await admin.connect();
  producer = createEventProducer(kafka);
  await producer.connect();
  for (const id of ['pass', 'pos', 'busy', 'band', 'loser', 'halted', 'daily']) await addStrategy(id);
  await addStrategy('big', {});
});

afterAll(async () => {
  await Promise.allSettled(stoppers.map((stop) => stop()));
  await producer?.disconnect();
  await releaseBroker(admin, { topics: topicsCreated, groups: groupsUsed });
  redis?.disconnect();
  await redisDb?.release();
  await pool?.end();
  await db?.drop();
});

describe('risk rules', () => {
  let p: Pipeline;
  let manager: { stop(): Promise<void> };

  beforeAll(async () => {
    await redis.flushdb();
    p = await pipeline('rules');
    manager = startRiskManager(p, TODAY);
    await sendTick(p, 250_100);
  });
  afterAll(async () => {
    await manager.stop();
    await redis.flushdb();
  });

  it("validates a signal that passes every rule, at its own tick's price (paper judges in event time)", async () => {
    const signal = signalEvent({ strategyId: 'pass', quantity: 4 });
    const decision = await decide(p, signal);
    expect(decision.topic).toBe(p.topics.signalsValidated);
    expect(decision.key).toBe(`pass:${RELIANCE}`);
    expect(decision.envelope).toMatchObject({
      type: 'signal_validated',
      source: 'risk-manager',
      id: derivedEventId(signal.id, 'risk-decision'),
      correlationId: signal.correlationId,
      // The feed's last price is 250,100 by now; the signal's tick was at 250,000.
      data: { signal: signal.data, approvedQuantity: 4, approvedPrice: 250_000 },
    });
    const checks = (decision.envelope.data as { checks: { rule: string; passed: boolean }[] }).checks;
    expect(checks.map((c) => [c.rule, c.passed])).toEqual(RISK_RULES.map((rule) => [rule, true]));
  });

  it('max_position_per_instrument: counts the position from fills', async () => {
    const fill: OrderFilled = {
      orderId: 'pos-order', strategyId: 'pos', instrumentToken: RELIANCE, tradingsymbol: 'RELIANCE', side: 'BUY', product: 'MIS',
      fillId: 'pos-order-1', quantity: 8, price: 250_000, cumulativeQuantity: 8, remainingQuantity: 0, charges: NO_CHARGES,
      filledAt: TODAY.toISOString(),
    };
    await producer.send(p.topics.ordersFilled, `pos:${RELIANCE}`, createEvent({ type: 'order_filled', source: 'test', namespace: NS, data: fill }));
    await waitFor(async () => (await savedView('pos'))?.positions[String(RELIANCE)] === 8, 'the fill to reach the risk state');
    const over = await decide(p, signalEvent({ strategyId: 'pos', quantity: 3 }));
    expect(over.topic).toBe(p.topics.signalsRejected);
    expect(failedRules(over)).toEqual(['max_position_per_instrument']);
    // 8 + 2 reaches the limit of 10 exactly: allowed.
    expect((await decide(p, signalEvent({ strategyId: 'pos', quantity: 2 }))).topic).toBe(p.topics.signalsValidated);
  });

  it('max_order_value: the configured default applies to a strategy without its own limit', async () => {
    // 5 x ₹2,501 = ₹12,505 against RISK__MAX_ORDER_VALUE_PAISE = ₹10,000.
    const decision = await decide(p, signalEvent({ strategyId: 'big', quantity: 5 }));
    expect(failedRules(decision)).toEqual(['max_order_value']);
    expect((await decide(p, signalEvent({ strategyId: 'big', quantity: 3 }))).topic).toBe(p.topics.signalsValidated);
  });

  it('max_daily_trades_per_strategy: the third order of the day is refused', async () => {
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await decide(p, signalEvent({ strategyId: 'busy', quantity: 1 })));
    expect(decisions.map((d) => d.topic)).toEqual([p.topics.signalsValidated, p.topics.signalsValidated, p.topics.signalsRejected]);
    expect(failedRules(decisions[2]!)).toEqual(['max_daily_trades_per_strategy']);
  });

  it("price_band: a limit price 2% from its signal's tick is refused with a 1% band", async () => {
    const decision = await decide(p, signalEvent({ strategyId: 'band', quantity: 1, orderType: 'LIMIT', limitPrice: 255_100 }));
    expect(failedRules(decision)).toEqual(['price_band']);
    const inBand = await decide(p, signalEvent({ strategyId: 'band', quantity: 1, orderType: 'LIMIT', limitPrice: 252_000 }));
    expect(inBand.envelope.data).toMatchObject({ approvedPrice: 252_000 });
  });

  it("max_daily_loss_per_strategy: the portfolio's loss stops new positions, not exits", async () => {
    const snapshot: PnlSnapshot = {
      strategyId: 'loser', cash: 0, realizedPnl: -1_100_000, unrealizedPnl: -50_000, chargesPaid: 0, asOf: TODAY.toISOString(),
      // The portfolio booked a fill this risk manager never saw (sequence 0): it takes the position.
      positions: [{ instrumentToken: RELIANCE, quantity: 2, averagePrice: 275_000, lastPrice: 250_000, realizedPnl: -1_100_000, unrealizedPnl: -50_000, fillSequence: 0 }],
    };
    await producer.send(p.topics.pnlSnapshots, 'loser', createEvent({ type: 'pnl_snapshot', source: 'test', namespace: NS, data: snapshot }));
    await waitFor(async () => (await savedView('loser'))?.realizedPnl === -1_100_000, 'the snapshot to reach the risk state');
    expect(failedRules(await decide(p, signalEvent({ strategyId: 'loser', quantity: 1 })))).toEqual(['max_daily_loss_per_strategy']);
    const exit = await decide(p, signalEvent({ strategyId: 'loser', side: 'SELL', quantity: 2 }));
    expect(exit.topic).toBe(p.topics.signalsValidated);
  });

  it('kill_switch: the CLI turns it on (everything rejected) and off again', async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)('node', ['bin/alpha-panda.mjs', 'risk', 'kill-switch', ...args, '--namespace', NS], {
        env: { ...process.env, REDIS__URL: redisDb.url, LOG_LEVEL: 'warn' },
      });
    expect((await cli('on', '--reason', 'test halt')).stdout).toContain("Kill switch of 'paper' is ON");
    const halted = await decide(p, signalEvent({ strategyId: 'halted', quantity: 1 }));
    expect(failedRules(halted)).toEqual(['kill_switch']);
    const check = (halted.envelope.data as { checks: { rule: string; detail: string }[] }).checks.find((c) => c.rule === 'kill_switch');
    expect(check?.detail).toContain('test halt');
    expect((await cli('status')).stdout).toContain('ON');

    expect((await cli('off')).stdout).toContain("Kill switch of 'paper' is OFF");
    expect((await decide(p, signalEvent({ strategyId: 'halted', quantity: 1 }))).topic).toBe(p.topics.signalsValidated);
  });
});

describe('a live namespace', () => {
  it("judges each signal against the feed's last prices, not its own tick's", async () => {
    await redis.flushdb();
    const p = await pipeline('live', 'zerodha');
    await addStrategy('live', LIMITS, 'zerodha');
    const manager = startRiskManager(p, TODAY, 'zerodha');
    await sendTick(p, 250_100);
    const approved = await decide(p, signalEvent({ strategyId: 'live', quantity: 1 }, undefined, 'zerodha'));
    expect(approved.envelope.data).toMatchObject({ approvedPrice: 250_100 });
    // The market moved 4% since the signal's tick (250,000): outside the 1% band.
    await sendTick(p, 260_000);
    expect(failedRules(await decide(p, signalEvent({ strategyId: 'live', quantity: 1 }, undefined, 'zerodha')))).toEqual(['price_band']);
    await manager.stop();
  });

  it('while paper, on the same move, approves at the price of the signal\'s tick', async () => {
    await redis.flushdb();
    const p = await pipeline('paper-moved');
    const manager = startRiskManager(p, TODAY);
    await sendTick(p, 260_000);
    const approved = await decide(p, signalEvent({ strategyId: 'pass', quantity: 1 }));
    expect(approved.topic).toBe(p.topics.signalsValidated);
    expect(approved.envelope.data).toMatchObject({ approvedPrice: 250_000 });
    await manager.stop();
  });
});

describe('risk manager state', () => {
  it('keeps the daily trade count across a restart, ignores a replayed signal, and rolls over at the IST date of the signals', async () => {
    await redis.flushdb();
    const p = await pipeline('restart');
    const first = startRiskManager(p, TODAY);
    await sendTick(p, 250_000);
    const one = signalEvent({ strategyId: 'daily', quantity: 1 }, TODAY);
    expect((await decide(p, one)).topic).toBe(p.topics.signalsValidated);
    await first.stop();

    const second = startRiskManager(p, TODAY);
    // The first signal again (same id): neither decided again nor counted again...
    await producer.send(p.topics.signalsRaw, `daily:${RELIANCE}`, one);
    await waitFor(() => caughtUp(p.groupId, [p.topics.signalsRaw]), 'the replay to be consumed');
    // ...so the second order of the day passes (limit 2), and the count carried over the restart
    // refuses the third.
    expect((await decide(p, signalEvent({ strategyId: 'daily', quantity: 1 }, TODAY))).topic).toBe(p.topics.signalsValidated);
    expect(failedRules(await decide(p, signalEvent({ strategyId: 'daily', quantity: 1 }, TODAY)))).toEqual(['max_daily_trades_per_strategy']);
    await waitFor(() => readerCaughtUp(p), 'the reader to read every decision');
    expect(p.received.filter((r) => r.envelope?.causationId === one.id)).toHaveLength(1);
    await second.stop();

    // The manager's own clock is still today: the signal's event time starts the new day.
    const nextDay = startRiskManager(p, TODAY);
    expect((await decide(p, signalEvent({ strategyId: 'daily', quantity: 1 }, TOMORROW))).topic).toBe(p.topics.signalsValidated);
    await nextDay.stop();
  });

  it('dead-letters malformed messages on each input topic and keeps deciding', async () => {
    await redis.flushdb();
    const p = await pipeline('poison');
    const manager = startRiskManager(p, TODAY);
    for (const topic of p.inputs) await producer.sendRaw({ topic, messages: [{ key: 'bad', value: `not json on ${topic}` }] });
    await sendTick(p, 250_000);
    expect((await decide(p, signalEvent({ strategyId: 'pass', quantity: 1 }))).topic).toBe(p.topics.signalsValidated);
    for (const topic of p.inputs) {
      const letter = await waitFor(async () => p.received.find((r) => r.topic === dlqTopic(topic)) ?? false, `a dead letter of ${topic}`);
      expect(letter.value).toBe(`not json on ${topic}`);
      expect(letter.headers[DLQ_HEADERS.originTopic]).toBe(topic);
    }
    expect(manager.service.health()).toMatchObject({ state: 'running', deadLettered: p.inputs.length });
    await manager.stop();
  });
});
