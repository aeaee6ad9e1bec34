// The strategy runner against the real broker, Redis and Postgres: scripted ticks through real
// strategies rows, signals read back from the real output topic. Every test has its own topics
// (a unique prefix), consumer group, Redis database and Postgres database.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, type Envelope, type OrderFilled } from '../core/domain/events';
import { derivedEventId } from '../core/domain/ids';
import { dlqTopic, marketTicksTopic, namespaceTopics, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { NO_CHARGES } from '../core/domain/trading/charges';
import { makeTick } from '../core/domain/trading/testing';
import { createKafka } from '../core/kafka/client';
import { DLQ_HEADERS } from '../core/kafka/dead-letter';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool, type Pool } from '../core/postgres/pool';
import { createRedis } from '../core/redis/client';
import { createStrategyRunnerService, type StrategyRunnerService } from '../services/strategy-runner/service';
import { runnerStateKey } from '../services/strategy-runner/state';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './support/stack';
import { waitFor } from './support/temporal';
import { releaseBroker } from './support/topics';

configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const NS = 'paper';
const RELIANCE = { token: 738_561, symbol: 'RELIANCE' };
const HDFCBANK = { token: 341_249, symbol: 'HDFCBANK' };
const INFY = { token: 408_065, symbol: 'INFY' };
const run = `test-sr-${randomUUID().slice(0, 8)}`;
const config = testConfig({ STRATEGIES__REFRESH_INTERVAL_MS: '100' });

let db: TestDatabase;
let pool: Pool;
let redisDb: { url: string; release(): Promise<void> };
let redis: Redis;
let kafka: Kafka;
let admin: Admin;
let producer: EventProducer;
const topicsCreated: string[] = [];
const groupsUsed: string[] = [];
const runners: { controller: AbortController; done: Promise<void> }[] = [];
const readers: Consumer[] = [];

interface ReadMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  /** The value parsed as an envelope (undefined when it is not JSON). */
  envelope: Envelope;
}

interface Pipeline {
  topics: NamespaceTopics;
  ticksTopic: string;
  groupId: string;
  /** Everything read so far from the signals topic and the input DLQs. */
  received: ReadMessage[];
}

/** True once the group has committed every message of the topics. */
async function caughtUp(groupId: string, topics: string[]): Promise<boolean> {
  for (const topic of topics) {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const done = new Map(committed!.partitions.map((p) => [p.partition, p.offset]));
    if (!ends.every((end) => end.high === end.low || done.get(end.partition) === end.high)) return false;
  }
  return true;
}

/** Every message the topic holds now, by partition and offset, once the pipeline's reader has it. */
async function readAll(p: Pipeline, topic: string): Promise<ReadMessage[]> {
  const ends = (await admin.fetchTopicOffsets(topic)).map((end) => ({ partition: end.partition, low: BigInt(end.low), high: BigInt(end.high) }));
  const mine = () => p.received.filter((m) => m.topic === topic);
  const has = (partition: number, low: bigint, high: bigint) =>
    BigInt(mine().filter((m) => m.partition === partition && m.offset >= low && m.offset < high).length) >= high - low;
  await waitFor(async () => ends.every(({ partition, low, high }) => has(partition, low, high)), `every message of ${topic}`);
  return mine().sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
}

/** Fresh input and output topics (with DLQs), a consumer group, and a reader of the outputs. */
async function pipeline(label: string): Promise<Pipeline> {
  const prefix = `${run}-${label}.`;
  const topics = namespaceTopics(NS, prefix);
  const ticksTopic = marketTicksTopic(prefix);
  const wanted = new Set([ticksTopic, topics.signalsRaw, topics.ordersFilled].flatMap((t) => [t, dlqTopic(t)]));
  const specs = topicSpecs([NS], prefix).filter((spec) => wanted.has(spec.name));
  await bootstrapTopics(kafka, specs);
  topicsCreated.push(...specs.map((spec) => spec.name));
  const groupId = `${run}-${label}`;
  const readerGroup = `${groupId}-reader`;
  groupsUsed.push(groupId, readerGroup);

  const received: ReadMessage[] = [];
  const reader = kafka.consumer({ groupId: readerGroup });
  await reader.connect();
  await reader.subscribe({ topics: [topics.signalsRaw, dlqTopic(ticksTopic), dlqTopic(topics.ordersFilled)], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, partition, message }) => {
      const value = message.value?.toString('utf8') ?? '';
      let envelope: Envelope | undefined;
      try {
        envelope = JSON.parse(value) as Envelope;
      } catch {
        envelope = undefined;
      }
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      received.push({ topic, partition, offset: BigInt(message.offset), key: message.key?.toString('utf8') ?? null, value, headers, envelope: envelope! });
    },
  });
  readers.push(reader);
  return { topics, ticksTopic, groupId, received };
}

function startRunner(p: Pipeline): { service: StrategyRunnerService; stop(): Promise<void> } {
  const service = createStrategyRunnerService({ config, namespace: NS, kafka, redis, postgres: pool, ...p, fromBeginning: true });
  const controller = new AbortController();
  const done = service.start(controller.signal);
  runners.push({ controller, done });
  return {
    service,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

async function addStrategy(id: string, strategyType: string, instruments: number[], parameters: object, isActive = true) {
  await pool.query(
    `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, is_active)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [NS, id, `test ${id}`, strategyType, instruments, JSON.stringify(parameters), isActive],
  );
}

const setActive = (id: string, active: boolean) =>
  pool.query('update strategy_configurations set is_active = $3, updated_at = now() where namespace = $1 and id = $2', [NS, id, active]);

/** A tick that carries a correlation id of its own, so carrying it is not a coincidence of ids. */
function tick(instrument: { token: number; symbol: string }, price: number): Envelope<'tick_received'> {
  return createEvent({
    type: 'tick_received',
    source: 'test-feed',
    namespace: 'shared',
    data: makeTick(price, { instrumentToken: instrument.token, tradingsymbol: instrument.symbol }),
    cause: { id: uuidv7(), correlationId: randomUUID() },
  });
}

async function sendTicks(p: Pipeline, ticks: Envelope<'tick_received'>[]) {
  await producer.sendBatch(ticks.map((t) => ({ topic: p.ticksTopic, key: String(t.data.instrumentToken), envelope: t })));
}

/** Waits until the runner committed everything on its inputs, then reads every signal. */
async function signalsAfterCatchUp(p: Pipeline): Promise<ReadMessage[]> {
  await waitFor(() => caughtUp(p.groupId, [p.ticksTopic, p.topics.ordersFilled]), 'the runner to catch up');
  return readAll(p, p.topics.signalsRaw);
}

/** Signal summaries in the order of the ticks that caused them. */
function summarize(signals: ReadMessage[], ticks: Envelope<'tick_received'>[]) {
  const index = new Map(ticks.map((t, i) => [t.id, i]));
  return signals
    .map(({ envelope }) => ({
      tick: index.get(envelope.causationId!),
      strategy: (envelope.data as { strategyId: string }).strategyId,
      side: (envelope.data as { side: string }).side,
      quantity: (envelope.data as { quantity: number }).quantity,
    }))
    .sort((a, b) => a.tick! - b.tick! || a.strategy.localeCompare(b.strategy));
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
});

beforeEach(async () => {
  await redis.flushdb();
  await pool.query('delete from strategy_configurations');
});

afterEach(async () => {
  for (const runner of runners) runner.controller.abort();
  await Promise.allSettled([...runners.splice(0).map((r) => r.done), ...readers.splice(0).map((r) => r.disconnect())]);
});

afterAll(async () => {
  await producer?.disconnect();
  await releaseBroker(admin, { topics: topicsCreated, groups: groupsUsed });
  redis?.disconnect();
  await redisDb?.release();
  await pool?.end();
  await db?.drop();
});

describe('strategy runner', () => {
  it('turns scripted ticks into the momentum and low_frequency_demo signals, caused by their ticks', async () => {
    const p = await pipeline('script');
    await addStrategy('mom_rel', 'momentum', [RELIANCE.token], { lookbackTicks: 3, thresholdBps: 50, quantity: 2, allowShort: true });
    await addStrategy('demo', 'low_frequency_demo', [RELIANCE.token, HDFCBANK.token], { everyTicks: 4, quantity: 1 });
    await addStrategy('broken', 'momentum', [RELIANCE.token], { lookbackTicks: 0, quantity: 1 });
    const runner = startRunner(p);

    const reliance = [100_000, 100_000, 100_000, 100_000, 100_600, 100_600, 100_600, 100_600, 100_000].map((price) => tick(RELIANCE, price));
    const hdfc = [99_000, 99_100, 99_200, 99_300].map((price) => tick(HDFCBANK, price));
    const ticks = [...reliance, ...hdfc, tick(INFY, 150_000)];
    await sendTicks(p, ticks);
    const signals = await signalsAfterCatchUp(p);

    expect(runner.service.strategies().active).toEqual(['demo', 'mom_rel']);
    expect(runner.service.strategies().invalid).toEqual([{ id: 'broken', error: expect.stringContaining('lookbackTicks') }]);
    expect(summarize(signals, ticks)).toEqual([
      { tick: 3, strategy: 'demo', side: 'BUY', quantity: 1 }, // the demo's 4th RELIANCE tick
      { tick: 4, strategy: 'mom_rel', side: 'BUY', quantity: 2 }, // +60 bps over 3 ticks
      { tick: 7, strategy: 'demo', side: 'SELL', quantity: 1 },
      { tick: 8, strategy: 'mom_rel', side: 'SELL', quantity: 2 }, // -60 bps: a short, allowShort
      { tick: 12, strategy: 'demo', side: 'BUY', quantity: 1 }, // the demo's 4th HDFCBANK tick
    ]);
    for (const { key, envelope } of signals) {
      const cause = ticks.find((t) => t.id === envelope.causationId)!;
      const data = envelope.data as { strategyId: string; instrumentToken: number; tradingsymbol: string; referencePrice: number };
      expect(envelope).toMatchObject({ type: 'signal_generated', source: 'strategy-runner', namespace: NS });
      expect(envelope.correlationId).toBe(cause.correlationId);
      expect(envelope.id).toBe(derivedEventId(cause.id, data.strategyId));
      expect(key).toBe(`${data.strategyId}:${cause.data.instrumentToken}`);
      expect(data).toMatchObject({ instrumentToken: cause.data.instrumentToken, tradingsymbol: cause.data.tradingsymbol, referencePrice: cause.data.lastPrice });
    }
    await runner.stop();
  });

  it('tells strategies the position summed from their fills', async () => {
    const p = await pipeline('fills');
    await addStrategy('mom_rel', 'momentum', [RELIANCE.token], { lookbackTicks: 3, thresholdBps: 50, quantity: 2 });
    const runner = startRunner(p);
    const ticks = [100_000, 100_000, 100_000, 100_000, 100_600, 100_600, 100_600, 100_600, 100_000].map((price) => tick(RELIANCE, price));
    await sendTicks(p, ticks.slice(0, 5));
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([{ tick: 4, strategy: 'mom_rel', side: 'BUY', quantity: 2 }]);

    const fill: OrderFilled = {
      orderId: 'order-1', strategyId: 'mom_rel', instrumentToken: RELIANCE.token, tradingsymbol: RELIANCE.symbol, side: 'BUY',
      product: 'MIS', fillId: 'order-1-1', quantity: 2, price: 100_600, cumulativeQuantity: 2, remainingQuantity: 0,
      charges: NO_CHARGES, filledAt: new Date().toISOString(),
    };
    await producer.send(p.topics.ordersFilled, 'mom_rel:738561', createEvent({ type: 'order_filled', source: 'test', namespace: NS, data: fill }));
    await waitFor(() => caughtUp(p.groupId, [p.topics.ordersFilled]), 'the fill to be booked');
    await sendTicks(p, ticks.slice(5));
    // Long 2 from the fill: the fall closes it (without the fill, shorting is not allowed: no signal).
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([
      { tick: 4, strategy: 'mom_rel', side: 'BUY', quantity: 2 },
      { tick: 8, strategy: 'mom_rel', side: 'SELL', quantity: 2 },
    ]);
    await runner.stop();
  });

  it('stops a switched-off strategy and starts an added one without a restart', async () => {
    const p = await pipeline('reload');
    const everyTick = { everyTicks: 1, quantity: 1 };
    await addStrategy('a', 'low_frequency_demo', [RELIANCE.token], everyTick);
    const runner = startRunner(p);
    const ticks = [tick(RELIANCE, 100_000), tick(RELIANCE, 100_100), tick(RELIANCE, 100_200)];
    await sendTicks(p, [ticks[0]!]);
    await signalsAfterCatchUp(p);

    await setActive('a', false);
    await addStrategy('b', 'low_frequency_demo', [RELIANCE.token], everyTick);
    await waitFor(async () => runner.service.strategies().active.join() === 'b', 'the runner to see the change');
    await sendTicks(p, [ticks[1]!]);
    await signalsAfterCatchUp(p);

    await setActive('a', true);
    await waitFor(async () => runner.service.strategies().active.join() === 'a,b', 'the runner to see a again');
    await sendTicks(p, [ticks[2]!]);
    // Switched on again, a starts afresh (BUY first) while b continues (its second signal, SELL).
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([
      { tick: 0, strategy: 'a', side: 'BUY', quantity: 1 },
      { tick: 1, strategy: 'b', side: 'BUY', quantity: 1 },
      { tick: 2, strategy: 'a', side: 'BUY', quantity: 1 },
      { tick: 2, strategy: 'b', side: 'SELL', quantity: 1 },
    ]);
    await runner.stop();
  });

  it('resumes from its saved state after a restart, and emits nothing again for replayed ticks', async () => {
    await addStrategy('mom_rel', 'momentum', [RELIANCE.token], { lookbackTicks: 3, thresholdBps: 50, quantity: 2, allowShort: true });
    await addStrategy('demo', 'low_frequency_demo', [RELIANCE.token], { everyTicks: 3, quantity: 1 });
    const prices = [100_000, 100_000, 100_000, 100_700, 100_700, 100_700, 100_700, 100_000, 100_000, 100_000, 100_700, 100_700, 100_000, 99_000];
    const ticks = prices.map((price) => tick(RELIANCE, price));
    const comparable = (signals: ReadMessage[]) =>
      signals.map(({ key, envelope }) => ({ key, id: envelope.id, correlationId: envelope.correlationId, data: envelope.data })).sort((a, b) => a.id.localeCompare(b.id));

    const straight = await pipeline('straight');
    const uninterrupted = startRunner(straight);
    await sendTicks(straight, ticks);
    const expected = comparable(await signalsAfterCatchUp(straight));
    await uninterrupted.stop();
    // The split must fall inside the strategies' memory for the comparison to mean anything.
    expect(summarize(await readAll(straight, straight.topics.signalsRaw), ticks).filter((s) => s.tick! >= 6).length).toBeGreaterThan(1);

    await redis.flushdb();
    const restarted = await pipeline('restart');
    const first = startRunner(restarted);
    await sendTicks(restarted, ticks.slice(0, 6));
    await signalsAfterCatchUp(restarted);
    await first.stop();
    expect(await redis.hlen(runnerStateKey(NS))).toBe(2);

    const second = startRunner(restarted);
    await sendTicks(restarted, ticks.slice(6));
    expect(comparable(await signalsAfterCatchUp(restarted))).toEqual(expected);

    await second.stop();

    // Replay: the group's offsets back to the start, the same ticks delivered again. Nothing new
    // is emitted and the saved state does not move.
    const savedState = await redis.hgetall(runnerStateKey(NS));
    await admin.resetOffsets({ groupId: restarted.groupId, topic: restarted.ticksTopic, earliest: true });
    const replaying = startRunner(restarted);
    expect(comparable(await signalsAfterCatchUp(restarted))).toEqual(expected);
    expect(replaying.service.health().processed).toBe(ticks.length);
    expect(await redis.hgetall(runnerStateKey(NS))).toEqual(savedState);
    await replaying.stop();
  });

  it('dead-letters malformed ticks and fills and keeps running', async () => {
    const p = await pipeline('poison');
    await addStrategy('a', 'low_frequency_demo', [RELIANCE.token], { everyTicks: 1, quantity: 1 });
    const runner = startRunner(p);
    const valid = tick(RELIANCE, 100_000);
    const invalidTick = { ...tick(RELIANCE, 100_000), data: { ...valid.data, lastPrice: -5 } };
    await producer.sendRaw({ topic: p.ticksTopic, messages: [{ key: '738561', value: 'not json' }, { key: '738561', value: JSON.stringify(invalidTick) }] });
    await producer.sendRaw({ topic: p.topics.ordersFilled, messages: [{ key: 'a:738561', value: '{"type":"order_filled"}' }] });
    await sendTicks(p, [valid]);

    const signals = await signalsAfterCatchUp(p);
    expect(signals.map((s) => s.envelope.causationId)).toEqual([valid.id]);
    const tickDeadLetters = await readAll(p, dlqTopic(p.ticksTopic));
    expect(tickDeadLetters.map((m) => m.value)).toEqual(['not json', JSON.stringify(invalidTick)]);
    expect(tickDeadLetters.map((m) => m.headers[DLQ_HEADERS.originTopic])).toEqual([p.ticksTopic, p.ticksTopic]);
    expect((await readAll(p, dlqTopic(p.topics.ordersFilled))).map((m) => m.value)).toEqual(['{"type":"order_filled"}']);
    expect(runner.service.health()).toMatchObject({ state: 'running', deadLettered: 3 });
    await runner.stop();
  });
});
