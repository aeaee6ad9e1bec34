// What a run ended with, read back whole once it drained: every message of every topic of the
// run, the Redis books and counters, and the Postgres orders and fills. Three things come out:
// - identity, within the run: every step of the seeded feed on the ticks topic exactly once,
//   every signal exactly one decision, every approved signal one order, every order at most one
//   terminal event, and every market order ended unless no tick of its instrument came after it,
//   each fill id once in Postgres, the books and the runner's positions equal the fills, the
//   daily counters equal the approvals;
// - the input, which must equal the baseline's: every tick by its step with every field the
//   seeded feed determines (all but the wall-clock times);
// - the outputs (signals, decisions, orders, fills, books, counters), which must equal the
//   baseline's too: paper is a simulation in event time (a view waits for the outcome of its
//   strategy's market order in flight, risk judges and the engine fills a signal at the price of
//   its own tick), so what a run trades is a function of its input, whatever the faults did to
//   its timing.
import type { Kafka, KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { Envelope } from '../core/domain/events';
import { orderIdFor, riskDecisionId } from '../core/domain/ids';
import { dlqTopic } from '../core/domain/topics';
import { readDeadLetterHeaders } from '../core/kafka/dead-letter';
import { stepOfTickId } from '../services/market-feed/simulated-log';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import { riskStateKey } from '../services/risk-manager/store';
import { runnerPositionsKey } from '../services/strategy-runner/state';
import { INPUT, type LiveRun } from './run';

export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

/** Every message on `topics`, read from the beginning to the end offsets as of now. */
export async function readTopics(kafka: Kafka, topics: readonly string[], groupId: string): Promise<RawMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > Number(low)) remaining.set(`${topic}:${partition}`, Number(high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const messages: RawMessage[] = [];
  if (remaining.size === 0) return messages;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({ topic, partition, offset: message.offset, message });
        const key = `${topic}:${partition}`;
        const end = remaining.get(key);
        if (end !== undefined && Number(message.offset) + 1 >= end) remaining.delete(key);
        if (remaining.size === 0) done();
      },
    });
    await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`reading ${groupId} timed out`)), 60_000))]);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

export interface Identity {
  /** Inputs or effects that should exist and do not (each named). */
  lost: string[];
  /** Effects that happened more than once (each named). */
  duplicated: string[];
  /** Replays of the same event id at a new offset (expected after a crash, deduplicated downstream). */
  redelivered: number;
  /** Malformed messages injected and where each ended up. */
  deadLetters: { topic: string; origin: string; group: string }[];
}

export type Figures = Record<string, string[]>;

export interface Outcome {
  counts: Record<string, number>;
  identity: Identity;
  /** Must equal the baseline's. */
  input: Figures;
  /** Must equal the baseline's. */
  outputs: Figures;
}

const byTopic = (messages: RawMessage[], topic: string) => messages.filter((m) => m.topic === topic);

function envelopes(messages: RawMessage[]): Envelope[] {
  const result: Envelope[] = [];
  for (const { message } of messages) {
    try {
      const value = JSON.parse(message.value?.toString('utf8') ?? '') as Envelope;
      if (value && typeof value.id === 'string' && typeof value.type === 'string') result.push(value);
    } catch {
      // a malformed message (the suite injects some): judged through the dead letters
    }
  }
  return result;
}

/** Distinct events by id, and how many repeats of an id there were. */
function distinct<T extends Envelope>(list: T[]): { events: T[]; repeats: number } {
  const map = new Map(list.map((event) => [event.id, event]));
  return { events: [...map.values()], repeats: list.length - map.size };
}

const sorted = (items: string[]) => [...items].sort();

export async function readOutcome(run: LiveRun, readerGroup: string): Promise<Outcome> {
  const { topics, ticksTopic, config } = run;
  const namespaceTopicsList = Object.values(topics);
  const all = [ticksTopic, ...namespaceTopicsList];
  const messages = await readTopics(run.kafka, [...all, ...all.map(dlqTopic)], readerGroup);

  const ticks = distinct(envelopes(byTopic(messages, ticksTopic)) as Envelope<'tick_received'>[]);
  const signals = distinct(envelopes(byTopic(messages, topics.signalsRaw)) as Envelope<'signal_generated'>[]);
  const validated = distinct(envelopes(byTopic(messages, topics.signalsValidated)) as Envelope<'signal_validated'>[]);
  const rejected = distinct(envelopes(byTopic(messages, topics.signalsRejected)) as Envelope<'signal_rejected'>[]);
  const submitted = distinct(envelopes(byTopic(messages, topics.ordersSubmitted)) as Envelope<'order_submitted'>[]);
  const filled = distinct(envelopes(byTopic(messages, topics.ordersFilled)) as Envelope<'order_filled'>[]);
  const orderRejected = distinct(envelopes(byTopic(messages, topics.ordersRejected)) as Envelope<'order_rejected'>[]);
  const cancelled = distinct(envelopes(byTopic(messages, topics.ordersCancelled)) as Envelope<'order_cancelled'>[]);
  const lost: string[] = [];
  const duplicated: string[] = [];

  // Ticks: every step of the seeded feed exactly once (the step is in the tick's id).
  const steps = new Map<number, number>();
  for (const tick of ticks.events) {
    const step = stepOfTickId(tick.id, INPUT.seed);
    if (step === null) duplicated.push(`tick ${tick.id} is not one of the seeded feed's`);
    else steps.set(step, (steps.get(step) ?? 0) + 1);
  }
  for (let step = 0; step < INPUT.ticks; step += 1) if (!steps.has(step)) lost.push(`tick of step ${step} never published`);
  for (const [step, count] of steps) {
    if (count > 1) duplicated.push(`tick of step ${step} published ${count} times`);
    if (step >= INPUT.ticks) duplicated.push(`tick of step ${step}, beyond the feed's ${INPUT.ticks}`);
  }

  // One decision per signal, of the id derived from it.
  const decisions = new Map<string, number>();
  for (const decision of [...validated.events, ...rejected.events]) decisions.set(decision.id, (decisions.get(decision.id) ?? 0) + 1);
  for (const signal of signals.events) {
    const count = decisions.get(riskDecisionId(signal.id)) ?? 0;
    if (count === 0) lost.push(`signal ${signal.id} has no decision`);
    if (count > 1) duplicated.push(`signal ${signal.id} decided ${count} times`);
  }
  if (decisions.size > signals.events.length) duplicated.push(`${decisions.size - signals.events.length} decisions without a signal`);

  // One order per approval; at most one terminal event per order.
  const orderEvents = new Map<string, Set<string>>();
  for (const event of [...submitted.events, ...orderRejected.events]) {
    const id = (event.data as { orderId: string }).orderId;
    orderEvents.set(id, (orderEvents.get(id) ?? new Set()).add(event.type));
  }
  for (const approval of validated.events) {
    if (!orderEvents.has(orderIdFor(approval.id))) lost.push(`approval ${approval.id} has no order`);
  }
  const terminal = new Map<string, number>();
  const addTerminal = (orderId: string) => terminal.set(orderId, (terminal.get(orderId) ?? 0) + 1);
  for (const fill of filled.events) if (fill.data.remainingQuantity === 0) addTerminal(fill.data.orderId);
  for (const event of [...orderRejected.events, ...cancelled.events]) addTerminal(event.data.orderId);
  for (const [orderId, count] of terminal) if (count > 1) duplicated.push(`order ${orderId} ended ${count} times`);
  const open = openOrders(byTopic(messages, topics.ordersSubmitted), byTopic(messages, ticksTopic), terminal);
  lost.push(...open.lost);

  // Postgres: one row per fill event, one row per order.
  const db = new pg.Client({ connectionString: config.database.postgresUrl });
  await db.connect();
  let fillRows: { event_id: string; strategy_id: string; instrument_token: number; side: string; quantity: number; price_paise: string; charges_paise: string }[];
  let orderRows: Record<string, unknown>[];
  try {
    fillRows = (await db.query(`select event_id, strategy_id, instrument_token, side, quantity, price_paise, charges_paise from fills where namespace = 'paper'`)).rows;
    orderRows = (
      await db.query(
        `select strategy_id, instrument_token, side, order_type, quantity, status, filled_quantity, average_price_paise, failure_reason
           from orders where namespace = 'paper'`,
      )
    ).rows;
  } finally {
    await db.end();
  }
  const rowIds = new Set(fillRows.map((row) => row.event_id));
  for (const fill of filled.events) if (!rowIds.has(fill.id)) lost.push(`fill ${fill.id} has no row`);
  if (fillRows.length > rowIds.size) duplicated.push(`${fillRows.length - rowIds.size} fill rows twice`);
  if (orderRows.length !== orderEvents.size) lost.push(`${orderEvents.size} orders on the topics, ${orderRows.length} rows`);

  // Redis: the books and the runner's positions equal the fills; the counters equal the approvals.
  const redis = new Redis(config.redis.url);
  let books;
  let risk: { dailyTrades: Record<string, Record<string, number>> };
  let runnerPositions: Record<string, string>;
  try {
    books = [...(await loadBooks(redis, 'paper')).values()];
    risk = JSON.parse((await redis.get(riskStateKey('paper'))) ?? '{"dailyTrades":{}}') as typeof risk;
    runnerPositions = await redis.hgetall(runnerPositionsKey('paper'));
  } finally {
    redis.disconnect();
  }
  const fillPositions = new Map<string, number>();
  for (const fill of filled.events) {
    const key = `${fill.data.strategyId}:${fill.data.instrumentToken}`;
    fillPositions.set(key, (fillPositions.get(key) ?? 0) + (fill.data.side === 'BUY' ? fill.data.quantity : -fill.data.quantity));
  }
  const views = books.map(currentView);
  const bookPositions = new Map<string, number>();
  for (const view of views) for (const position of view.positions) bookPositions.set(`${view.strategyId}:${position.instrumentToken}`, position.quantity);
  for (const key of new Set([...fillPositions.keys(), ...bookPositions.keys()])) {
    const want = fillPositions.get(key) ?? 0;
    const have = bookPositions.get(key) ?? 0;
    if (want !== have) (Math.abs(have) > Math.abs(want) ? duplicated : lost).push(`book ${key}: ${have}, fills say ${want}`);
    const runner = Number(JSON.parse(runnerPositions[key] ?? '0'));
    if (runner !== want) (Math.abs(runner) > Math.abs(want) ? duplicated : lost).push(`runner position ${key}: ${runner}, fills say ${want}`);
  }
  const approvals = new Map<string, number>();
  for (const approval of validated.events) approvals.set(approval.data.signal.strategyId, (approvals.get(approval.data.signal.strategyId) ?? 0) + 1);
  const counted = new Map<string, number>();
  for (const day of Object.values(risk.dailyTrades)) for (const [strategy, count] of Object.entries(day)) counted.set(strategy, (counted.get(strategy) ?? 0) + count);
  for (const strategy of new Set([...approvals.keys(), ...counted.keys()])) {
    const want = approvals.get(strategy) ?? 0;
    const have = counted.get(strategy) ?? 0;
    if (want !== have) (have > want ? duplicated : lost).push(`daily trades of ${strategy}: ${have}, approvals say ${want}`);
  }

  const deadLetters = envelopesOfDlq(messages, all);
  const input: Figures = {
    ticks: sorted(ticks.events.map(({ id, data: { lastTradeTime: _traded, exchangeTimestamp: _stamped, ...seeded } }) => `${stepOfTickId(id, INPUT.seed)} ${JSON.stringify(seeded)}`)),
  };
  const outputs: Figures = {
    signals: sorted(signals.events.map(({ data: s }) => `${s.strategyId} ${s.instrumentToken} ${s.side} ${s.quantity} ${s.referencePrice}`)),
    decisions: sorted([
      ...validated.events.map(({ data }) => `validated ${data.signal.strategyId} ${data.signal.instrumentToken} ${data.signal.side} ${data.approvedQuantity} ${data.approvedPrice}`),
      ...rejected.events.map(({ data }) => `rejected ${data.signal.strategyId} ${data.signal.instrumentToken} ${data.signal.side} ${data.failedRules.join(',')}`),
    ]),
    fills: sorted(fillRows.map((r) => `${r.strategy_id} ${r.instrument_token} ${r.side} ${r.quantity} @${r.price_paise} charges ${r.charges_paise}`)),
    orders: sorted(orderRows.map((row) => Object.values(row).map(String).join(' '))),
    positions: sorted(views.flatMap((v) => v.positions.map((p) => `${v.strategyId} ${JSON.stringify({ ...p, fillSequence: undefined })}`))),
    portfolios: sorted(views.map(({ asOf: _asOf, positions: _positions, ...figures }) => JSON.stringify(figures))),
    dailyCounters: sorted([...counted].map(([strategy, count]) => `${strategy} ${count}`)),
    runnerPositions: sorted(Object.entries(runnerPositions).map(([key, value]) => `${key} ${value}`)),
  };
  return {
    counts: {
      ticks: ticks.events.length,
      signals: signals.events.length,
      validated: validated.events.length,
      rejected: rejected.events.length,
      orders: orderEvents.size,
      fills: filled.events.length,
      openAtEnd: open.waiting,
    },
    identity: {
      lost,
      duplicated,
      redelivered: [ticks, signals, validated, rejected, submitted, filled, orderRejected, cancelled].reduce((sum, d) => sum + d.repeats, 0),
      deadLetters,
    },
    input,
    outputs,
  };
}

/**
 * Orders with no terminal event. A paper market entry ends at submission (filled at its signal's
 * price, or refused); one the engine placed itself (a square-off) fills on the first tick of its
 * instrument the engine handles after it. So a market order still open although a tick of its
 * instrument was appended after its order_submitted (the engine can only have read that tick
 * later) is lost. One with no tick after it is waiting for a tick that never came: counted, not lost.
 */
function openOrders(submittedMessages: RawMessage[], tickMessages: RawMessage[], terminal: ReadonlyMap<string, number>) {
  const lastTickAt = new Map<number, number>();
  const tickAppends = new Map<number, number[]>();
  for (const tick of tickMessages) {
    const envelope = envelopes([tick])[0] as Envelope<'tick_received'> | undefined;
    if (!envelope) continue;
    const token = envelope.data.instrumentToken;
    const at = Number(tick.message.timestamp);
    lastTickAt.set(token, Math.max(lastTickAt.get(token) ?? 0, at));
    tickAppends.set(token, [...(tickAppends.get(token) ?? []), at]);
  }
  const lost: string[] = [];
  let waiting = 0;
  const seen = new Set<string>();
  for (const message of submittedMessages) {
    const order = envelopes([message])[0] as Envelope<'order_submitted'> | undefined;
    if (!order || seen.has(order.data.orderId) || terminal.has(order.data.orderId)) continue;
    seen.add(order.data.orderId);
    const submittedAt = Number(message.message.timestamp);
    const after = (tickAppends.get(order.data.instrumentToken) ?? []).filter((at) => at > submittedAt).length;
    if (order.data.orderType === 'MARKET' && after > 0) {
      lost.push(`market order ${order.data.orderId} still open though ${after} tick(s) of ${order.data.instrumentToken} came after it`);
    } else {
      waiting += 1;
    }
  }
  return { lost, waiting };
}

function envelopesOfDlq(messages: RawMessage[], topics: readonly string[]) {
  return topics.flatMap((topic) =>
    byTopic(messages, dlqTopic(topic)).map(({ message }) => {
      const headers = readDeadLetterHeaders(message.headers);
      return {
        topic: dlqTopic(topic),
        origin: `${headers.originTopic ?? '?'}[${headers.originPartition ?? '?'}]@${headers.originOffset ?? '?'}`,
        group: headers.consumerGroup ?? '?',
      };
    }),
  );
}

/** Per figure, what the baseline has that the run lacks and what the run has beyond it. */
export function compareFigures(baseline: Figures, run: Figures): { figure: string; missing: string[]; extra: string[] }[] {
  const result = [];
  for (const figure of Object.keys(baseline)) {
    const counts = new Map<string, number>();
    for (const item of baseline[figure]!) counts.set(item, (counts.get(item) ?? 0) + 1);
    const extra: string[] = [];
    for (const item of run[figure] ?? []) {
      const left = counts.get(item) ?? 0;
      if (left > 0) counts.set(item, left - 1);
      else extra.push(item);
    }
    const missing = [...counts].flatMap(([item, count]) => Array<string>(count).fill(item));
    if (missing.length + extra.length > 0) result.push({ figure, missing, extra });
  }
  return result;
}

