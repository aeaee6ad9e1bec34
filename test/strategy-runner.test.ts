// The strategy runner against the real broker, Redis and Postgres: scripted ticks through real
// strategies rows, signals read back from the real output topic. Every test has its own topics
// (a unique prefix), consumer group, Redis database and Postgres database. The test answers the
// runner's signals itself where a case needs it (a rejection, a fill, a cancellation on the
// prefixed topics), with the ids the risk manager and the engine derive.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, type Envelope, type OrderFilled, type Signal } from '../core/domain/events';
import { derivedEventId, orderIdFor, riskDecisionId } from '../core/domain/ids';
import { dlqTopic, marketTicksTopic, namespaceTopics, stageInputs, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { NO_CHARGES } from '../core/domain/trading/charges';
import { makeTick } from '../core/domain/trading/testing';
import { BROKER_RETRY, createKafka } from '../core/kafka/client';
import { DLQ_HEADERS } from '../core/kafka/dead-letter';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool, type Pool } from '../core/postgres/pool';
import { createRedis } from '../core/redis/client';
import { createStrategyRunnerService, type StrategyRunnerService } from '../services/strategy-runner/service';
import { runnerDeferredKey, runnerPendingKey, runnerPositionsKey, runnerStateKey } from '../services/strategy-runner/state';
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
  /** What the runner consumes (the one table of stage inputs). */
  inputs: string[];
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
  const inputs = stageInputs(NS, topics, ticksTopic)['strategy-runner'].map((input) => input.topic);
  const wanted = new Set([...inputs, topics.signalsRaw].flatMap((t) => [t, dlqTopic(t)]));
  const specs = topicSpecs([NS], prefix).filter((spec) => wanted.has(spec.name));
  await bootstrapTopics(kafka, specs);
  topicsCreated.push(...specs.map((spec) => spec.name));
  const groupId = `${run}-${label}`;
  const readerGroup = `${groupId}-reader`;
  groupsUsed.push(groupId, readerGroup);

  const received: ReadMessage[] = [];
  const reader = kafka.consumer({ groupId: readerGroup, retry: BROKER_RETRY });
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
  return { topics, ticksTopic, inputs, groupId, received };
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
  await waitFor(() => caughtUp(p.groupId, p.inputs), 'the runner to catch up');
  return readAll(p, p.topics.signalsRaw);
}

/** The signal a tick caused for a strategy (read once the runner caught up). */
async function signalOf(p: Pipeline, cause: Envelope<'tick_received'>, strategyId: string): Promise<Envelope<'signal_generated'>> {
  const signals = await signalsAfterCatchUp(p);
  const found = signals.find((m) => m.envelope.causationId === cause.id && (m.envelope.data as Signal).strategyId === strategyId);
  if (!found) throw new Error(`no signal of ${strategyId} caused by tick ${cause.id}`);
  return found.envelope as Envelope<'signal_generated'>;
}

/** The order the engine would place for a signal: its id goes through the risk decision's. */
const orderOf = (signal: Envelope<'signal_generated'>) => orderIdFor(riskDecisionId(signal.id));
const keyOf = (signal: Signal) => `${signal.strategyId}:${signal.instrumentToken}`;

/** Answers for the risk manager and the engine, produced onto the pipeline's topics. */
async function rejectSignal(p: Pipeline, signal: Envelope<'signal_generated'>) {
  const envelope = createEvent({
    type: 'signal_rejected',
    source: 'test-risk',
    namespace: NS,
    data: { signal: signal.data, checks: [{ rule: 'max_order_value', passed: false, detail: 'test' }], failedRules: ['max_order_value'] },
    cause: signal,
    id: riskDecisionId(signal.id),
  });
  await producer.send(p.topics.signalsRejected, keyOf(signal.data), envelope);
}

async function fillOrder(p: Pipeline, signal: Envelope<'signal_generated'>) {
  const { strategyId, instrumentToken, tradingsymbol, side, product, quantity, referencePrice } = signal.data;
  const orderId = orderOf(signal);
  const fill: OrderFilled = {
    orderId, strategyId, instrumentToken, tradingsymbol, side, product, fillId: `${orderId}-1`, quantity, price: referencePrice,
    cumulativeQuantity: quantity, remainingQuantity: 0, charges: NO_CHARGES, filledAt: new Date().toISOString(),
  };
  await producer.send(p.topics.ordersFilled, keyOf(signal.data), createEvent({ type: 'order_filled', source: 'test-engine', namespace: NS, data: fill, cause: signal }));
}

async function cancelOrder(p: Pipeline, signal: Envelope<'signal_generated'>) {
  const { strategyId, instrumentToken, tradingsymbol, side, product, quantity } = signal.data;
  const data = { orderId: orderOf(signal), strategyId, instrumentToken, tradingsymbol, side, product, quantity, reason: 'cancelled by the test', cancelledAt: new Date().toISOString() };
  await producer.send(p.topics.ordersCancelled, keyOf(signal.data), createEvent({ type: 'order_cancelled', source: 'test-engine', namespace: NS, data, cause: signal }));
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
    await sendTicks(p, ticks.slice(0, 5));
    // Both BUYs are rejected: nothing is held or pending when the price turns.
    await rejectSignal(p, await signalOf(p, ticks[3]!, 'demo'));
    await rejectSignal(p, await signalOf(p, ticks[4]!, 'mom_rel'));
    await signalsAfterCatchUp(p);
    await sendTicks(p, ticks.slice(5));
    const signals = await signalsAfterCatchUp(p);

    expect(runner.service.strategies().active).toEqual(['demo', 'mom_rel']);
    expect(runner.service.strategies().invalid).toEqual([{ id: 'broken', error: expect.stringContaining('lookbackTicks') }]);
    expect(summarize(signals, ticks)).toEqual([
      { tick: 3, strategy: 'demo', side: 'BUY', quantity: 1 }, // the demo's 4th RELIANCE tick
      { tick: 4, strategy: 'mom_rel', side: 'BUY', quantity: 2 }, // +60 bps over 3 ticks
      // tick 7: the demo's SELL view holds nothing and may not short: no signal
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

    const buy = await signalOf(p, ticks[4]!, 'mom_rel');
    expect(Object.keys(await redis.hgetall(runnerPendingKey(NS)))).toEqual([orderOf(buy)]);
    await fillOrder(p, buy);
    await waitFor(() => caughtUp(p.groupId, [p.topics.ordersFilled]), 'the fill to be booked');
    // Filled: held, no longer pending.
    expect(await redis.hgetall(runnerPositionsKey(NS))).toEqual({ 'mom_rel:738561': '2' });
    expect(await redis.hlen(runnerPendingKey(NS))).toBe(0);
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
    // a's BUY is rejected, b's (below) fills: neither is pending when a starts again.
    await rejectSignal(p, await signalOf(p, ticks[0]!, 'a'));

    await setActive('a', false);
    await addStrategy('b', 'low_frequency_demo', [RELIANCE.token], everyTick);
    await waitFor(async () => runner.service.strategies().active.join() === 'b', 'the runner to see the change');
    await sendTicks(p, [ticks[1]!]);
    await fillOrder(p, await signalOf(p, ticks[1]!, 'b'));
    await signalsAfterCatchUp(p);

    await setActive('a', true);
    await waitFor(async () => runner.service.strategies().active.join() === 'a,b', 'the runner to see a again');
    await sendTicks(p, [ticks[2]!]);
    // Switched on again, a starts afresh (BUY first) while b continues (its second view, SELL,
    // closing the BUY that filled).
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([
      { tick: 0, strategy: 'a', side: 'BUY', quantity: 1 },
      { tick: 1, strategy: 'b', side: 'BUY', quantity: 1 },
      { tick: 2, strategy: 'a', side: 'BUY', quantity: 1 },
      { tick: 2, strategy: 'b', side: 'SELL', quantity: 1 },
    ]);
    await runner.stop();
  });

  it('resumes from its saved state after a restart, and emits nothing again for replayed ticks', async () => {
    // Nothing answers the signals, so each strategy's first one stays pending and blocks the rest:
    // both first signal after the split (momentum at 10 compares with the price at 2, the demo's
    // 7th tick is 6), so they show the state resumed.
    await addStrategy('mom_rel', 'momentum', [RELIANCE.token], { lookbackTicks: 8, thresholdBps: 50, quantity: 2, allowShort: true });
    await addStrategy('demo', 'low_frequency_demo', [RELIANCE.token], { everyTicks: 7, quantity: 1 });
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
    const savedPending = await redis.hgetall(runnerPendingKey(NS));
    expect(Object.keys(savedPending)).toHaveLength(2);
    await admin.resetOffsets({ groupId: restarted.groupId, topic: restarted.ticksTopic, earliest: true });
    const replaying = startRunner(restarted);
    expect(comparable(await signalsAfterCatchUp(restarted))).toEqual(expected);
    expect(replaying.service.health().processed).toBe(ticks.length);
    expect(await redis.hgetall(runnerStateKey(NS))).toEqual(savedState);
    expect(await redis.hgetall(runnerPendingKey(NS))).toEqual(savedPending);
    await replaying.stop();
  });

  it('holds the views taken while its market order is in flight and decides them with the outcome, across a restart, whenever the outcome comes', async () => {
    // A view on every tick, alternating BUY and SELL. Each view is decided knowing what became of
    // the orders of earlier ticks, so the signals do not depend on when the fills come back.
    const everyTick = { everyTicks: 1, quantity: 3 };
    await addStrategy('demo', 'low_frequency_demo', [RELIANCE.token], everyTick);
    const ticks = [100_000, 100_100, 100_200].map((price) => tick(RELIANCE, price));
    const field = `demo:${RELIANCE.token}`;
    const comparable = (signals: ReadMessage[]) => signals.map(({ envelope }) => ({ id: envelope.id, data: envelope.data })).sort((a, b) => a.id.localeCompare(b.id));

    // Each fill comes back before the next tick.
    const prompt = await pipeline('prompt-fills');
    const promptRunner = startRunner(prompt);
    for (const t of ticks) {
      await sendTicks(prompt, [t]);
      await fillOrder(prompt, await signalOf(prompt, t, 'demo'));
    }
    const expected = await signalsAfterCatchUp(prompt);
    await promptRunner.stop();
    expect(summarize(expected, ticks)).toEqual([
      { tick: 0, strategy: 'demo', side: 'BUY', quantity: 3 },
      { tick: 1, strategy: 'demo', side: 'SELL', quantity: 3 },
      { tick: 2, strategy: 'demo', side: 'BUY', quantity: 3 },
    ]);

    // Every tick before the first fill: the SELL and BUY views wait, in Redis, through a restart.
    await redis.flushdb();
    const late = await pipeline('late-fills');
    const first = startRunner(late);
    await sendTicks(late, ticks);
    expect(summarize(await signalsAfterCatchUp(late), ticks)).toEqual([{ tick: 0, strategy: 'demo', side: 'BUY', quantity: 3 }]);
    const waiting = (await redis.lrange(runnerDeferredKey(NS, field), 0, -1)).map((text) => JSON.parse(text) as { tick: { id: string }; view: { direction: string } });
    expect(waiting.map((w) => [w.tick.id, w.view.direction])).toEqual([
      [ticks[1]!.id, 'SELL'],
      [ticks[2]!.id, 'BUY'],
    ]);
    await first.stop();

    const second = startRunner(late);
    await fillOrder(late, await signalOf(late, ticks[0]!, 'demo'));
    await waitFor(async () => (await readAll(late, late.topics.signalsRaw)).length === 2, 'the SELL view to be decided');
    expect(await redis.llen(runnerDeferredKey(NS, field))).toBe(1);
    await fillOrder(late, await signalOf(late, ticks[1]!, 'demo'));
    await waitFor(async () => (await readAll(late, late.topics.signalsRaw)).length === 3, 'the BUY view to be decided');
    expect(comparable(await signalsAfterCatchUp(late))).toEqual(comparable(expected));
    expect(await redis.exists(runnerDeferredKey(NS, field))).toBe(0);
    await second.stop();
  });

  it('emits no second BUY while a LIMIT BUY is pending, across a restart and a replay, and buys again once it is cancelled', async () => {
    const p = await pipeline('pending');
    await addStrategy('mom', 'momentum', [RELIANCE.token], { lookbackTicks: 1, thresholdBps: 50, quantity: 5, orderType: 'LIMIT' });
    // Every other tick rises by about 60 bps: a new up edge each time (flat in between).
    const prices = [100_000, 100_600, 100_600, 101_200, 101_200, 101_800, 101_800, 102_400];
    const ticks = prices.map((price) => tick(RELIANCE, price));
    const field = `mom:${RELIANCE.token}`;

    const first = startRunner(p);
    await sendTicks(p, ticks.slice(0, 4));
    const buy = await signalOf(p, ticks[1]!, 'mom');
    expect(buy.data).toMatchObject({ side: 'BUY', quantity: 5, orderType: 'LIMIT', limitPrice: 100_600 });
    // The edge at 3 is no second entry: the first BUY rests unfilled.
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([{ tick: 1, strategy: 'mom', side: 'BUY', quantity: 5 }]);
    const pending = await redis.hgetall(runnerPendingKey(NS));
    expect(Object.keys(pending)).toEqual([orderOf(buy)]);
    expect(JSON.parse(pending[orderOf(buy)]!)).toEqual({ field, side: 'BUY', quantity: 5, signalId: buy.id, holdsViews: false });
    await first.stop();

    // A restart resumes the pending BUY: the edge at 5 is no entry either.
    const second = startRunner(p);
    await sendTicks(p, ticks.slice(4, 6));
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([{ tick: 1, strategy: 'mom', side: 'BUY', quantity: 5 }]);
    await second.stop();

    // A replay of every tick from the start decides nothing new and leaves the pending order as it was.
    await admin.resetOffsets({ groupId: p.groupId, topic: p.ticksTopic, earliest: true });
    const replaying = startRunner(p);
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([{ tick: 1, strategy: 'mom', side: 'BUY', quantity: 5 }]);
    expect(await redis.hgetall(runnerPendingKey(NS))).toEqual(pending);

    // Cancelled unfilled: nothing pending, and the next up edge (7) is an entry again.
    await cancelOrder(p, buy);
    await signalsAfterCatchUp(p);
    expect(await redis.hlen(runnerPendingKey(NS))).toBe(0);
    await sendTicks(p, ticks.slice(6));
    expect(summarize(await signalsAfterCatchUp(p), ticks)).toEqual([
      { tick: 1, strategy: 'mom', side: 'BUY', quantity: 5 },
      { tick: 7, strategy: 'mom', side: 'BUY', quantity: 5 },
    ]);
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
