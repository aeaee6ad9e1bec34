// The Kafka helpers against the real broker: topic bootstrap, the typed producer, and the
// validating consumer (DLQ, commit-after-handle, poison events, outages, stop and restart).
// Topic and group names carry a run id, and everything created is deleted afterwards.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IHeaders, KafkaMessage, RecordMetadata } from 'kafkajs';
import { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type Envelope } from '../core/domain/events';
import { dlqTopic, type TopicSpec } from '../core/domain/topics';
import { makeSignal, makeTick } from '../core/domain/trading/testing';
import { BROKER_RETRY, createKafka } from '../core/kafka/client';
import { consumerLag, runEventConsumer, type ConsumedEvent, type EventConsumerOptions } from '../core/kafka/consumer';
import { readDeadLetterHeaders } from '../core/kafka/dead-letter';
import { PoisonEventError } from '../core/kafka/failures';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics, missingTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { claimRedisDatabase, testConfig } from './support/stack';

// Outages and poison events are logged loudly by design; LOG_LEVEL=warn shows them.
configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const run = `it-${randomUUID().slice(0, 8)}`;
const kafka = createKafka(testConfig(), run);
const topicsCreated: string[] = [];
const groupsUsed: string[] = [];
let producer: EventProducer;
/** Consumers a failed test may have left running; stopped before cleanup. */
const running: { controller: AbortController; done: Promise<void> }[] = [];

const spec = (name: string, partitions: number): TopicSpec => ({ name, partitions, retentionMs: 3_600_000, key: 'test', namespace: 'shared' });

/** A topic of its own for one test, with its DLQ. */
async function makeTopic(role: string, partitions = 1): Promise<string> {
  const name = `${run}.${role}`;
  await bootstrapTopics(kafka, [spec(name, partitions), spec(dlqTopic(name), 1)]);
  topicsCreated.push(name, dlqTopic(name));
  return name;
}

const group = (role: string) => {
  const id = `${run}.${role}`;
  groupsUsed.push(id);
  return id;
};

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type SignalEvent = ConsumedEvent<'signal_generated'>;

/** Runs the consumer until `stop()`; the handler's recorded events are its durable effect. */
function startConsumer(options: Omit<EventConsumerOptions<'signal_generated'>, 'kafka' | 'dlqProducer' | 'signal'>) {
  const controller = new AbortController();
  const done = runEventConsumer({ kafka, dlqProducer: producer, signal: controller.signal, ...options });
  running.push({ controller, done });
  return {
    done,
    abort: () => controller.abort(),
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Every message of a topic (from the beginning), once `count` have arrived. */
async function readTopic(topic: string, count: number): Promise<KafkaMessage[]> {
  const messages: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: group(`reader-${randomUUID().slice(0, 6)}`), retry: BROKER_RETRY });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(() => messages.length >= count, `${count} messages on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

const signal = (quantity = 1, cause?: Envelope) =>
  createEvent({ type: 'signal_generated', source: 'it', namespace: 'paper', data: makeSignal({ quantity }), cause });

const offsetOf = (metadata: RecordMetadata[]) => metadata[0]!.baseOffset ?? metadata[0]!.offset!;
const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();
const ids = (events: SignalEvent[]) => events.map((e) => e.envelope.id);
const fastRetry = { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 };

beforeAll(async () => {
  producer = createEventProducer(kafka);
  await producer.connect();
});

afterAll(async () => {
  for (const consumer of running) consumer.controller.abort();
  await Promise.allSettled(running.map((consumer) => consumer.done));
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const leftovers = topicsCreated.filter((topic) => existing.has(topic));
    if (leftovers.length > 0) await admin.deleteTopics({ topics: leftovers });
    await admin.deleteGroups(groupsUsed).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
});

describe('bootstrapTopics', () => {
  it('creates the table once, DLQs included, and raises partitions the table increased', async () => {
    const base = `${run}.boot`;
    const specs = [spec(`${base}.a`, 2), spec(`${base}.b`, 1), spec(dlqTopic(`${base}.a`), 1), spec(dlqTopic(`${base}.b`), 1)];
    const names = specs.map((s) => s.name);
    topicsCreated.push(...names);

    const first = await bootstrapTopics(kafka, specs);
    expect(first.created).toEqual(names);
    expect(first.existing).toEqual([]);
    expect(first.replicationFactor).toBe(1); // the development broker is a single node

    const second = await bootstrapTopics(kafka, specs);
    expect(second.created).toEqual([]);
    expect(second.existing).toEqual(names);
    expect(second.partitionsIncreased).toEqual([]);
    expect(await missingTopics(kafka, [...names, `${base}.never-created`])).toEqual([`${base}.never-created`]);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2 /* topic */, name: `${base}.a`, configNames: ['retention.ms'] }],
      });
      expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('3600000');

      const third = await bootstrapTopics(kafka, [spec(`${base}.a`, 4), ...specs.slice(1)]);
      expect(third.created).toEqual([]);
      expect(third.partitionsIncreased).toEqual([{ topic: `${base}.a`, from: 2, to: 4 }]);
      const metadata = await admin.fetchTopicMetadata({ topics: [`${base}.a`] });
      expect(metadata.topics[0]!.partitions).toHaveLength(4);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('producer and consumer', () => {
  it('carry an event through the broker intact, correlation id included', async () => {
    const topic = await makeTopic('roundtrip', 3);
    const tick = createEvent({ type: 'tick_received', source: 'it', namespace: 'shared', data: makeTick(250_000) });
    const sent = signal(3, tick);
    const metadata = await producer.send(topic, 'momentum-1:738561', sent);

    const received: SignalEvent[] = [];
    const consumer = startConsumer({
      groupId: group('roundtrip'),
      subscriptions: [{ topic, types: ['signal_generated'] }],
      fromBeginning: true,
      handleBatch: async (events) => void received.push(...events),
    });
    await waitFor(() => received.length === 1, 'the event');
    await consumer.stop();

    const [event] = received;
    expect(event!.envelope).toEqual(sent);
    expect(event!.envelope.correlationId).toBe(tick.id);
    expect(event!.envelope.causationId).toBe(tick.id);
    expect(event!.key).toBe('momentum-1:738561');
    expect(event!.partition).toBe(metadata[0]!.partition);
    expect(event!.offset).toBe(offsetOf(metadata));
  });

  it('dead-letters unusable messages with their origin and reason, and goes on', async () => {
    const topic = await makeTopic('dlq');
    const first = signal(1);
    const last = signal(2);
    const invalid = { ...signal(3), data: { ...makeSignal(), quantity: -4 } };
    const wrongType = createEvent({ type: 'tick_received', source: 'it', namespace: 'shared', data: makeTick(250_000) });
    const raw = (key: string, value: string) => producer.sendRaw({ topic, messages: [{ key, value }] });

    const offsets = [
      offsetOf(await producer.send(topic, 'k-first', first)),
      offsetOf(await raw('k-not-json', '{"id": "0190')),
      offsetOf(await raw('k-invalid', JSON.stringify(invalid))),
      offsetOf(await producer.send(topic, 'k-wrong-type', wrongType)),
      offsetOf(await producer.send(topic, 'k-last', last)),
    ];

    const groupId = group('dlq');
    const received: SignalEvent[] = [];
    const progress: { deadLettered: number }[] = [];
    const consumer = startConsumer({
      groupId,
      subscriptions: [{ topic, types: ['signal_generated'] }],
      fromBeginning: true,
      handleBatch: async (events) => void received.push(...events),
      onProgress: (p) => void progress.push(p),
    });
    await waitFor(() => received.some((e) => e.envelope.id === last.id), 'the valid message after the bad ones');
    await consumer.stop();

    expect(ids(received)).toEqual([first.id, last.id]);
    expect(progress.at(-1)?.deadLettered).toBe(3);

    const letters = await readTopic(dlqTopic(topic), 3);
    expect(letters).toHaveLength(3);
    const byKey = new Map(letters.map((m) => [m.key!.toString(), m]));
    const expectations: [string, string, RegExp][] = [
      ['k-not-json', offsets[1]!, /^value is not JSON/],
      ['k-invalid', offsets[2]!, /invalid signal_generated data: data\.quantity/],
      ['k-wrong-type', offsets[3]!, /unexpected event type: got tick_received/],
    ];
    for (const [key, offset, reason] of expectations) {
      const letter = byKey.get(key)!;
      const dlq = readDeadLetterHeaders(letter.headers);
      expect(dlq.originTopic, key).toBe(topic);
      expect(dlq.originPartition, key).toBe('0');
      expect(dlq.originOffset, key).toBe(offset);
      expect(dlq.consumerGroup, key).toBe(groupId);
      expect(dlq.reason, key).toMatch(reason);
      expect(dlq.failedAt, key).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(byKey.get('k-not-json')!.value!.toString()).toBe('{"id": "0190');
    expect(JSON.parse(byKey.get('k-invalid')!.value!.toString())).toEqual(invalid);
    expect(header(byKey.get('k-wrong-type')!.headers, 'event-type')).toBe('tick_received');

    const lag = await consumerLag(kafka, groupId, [topic]);
    expect(lag).toEqual([{ topic, partition: 0, committedOffset: '5', highWatermark: '5', lag: 0 }]);
  });

  it('redelivers events whose handler failed instead of committing past them', async () => {
    const topic = await makeTopic('retry');
    const sent = [signal(1), signal(2), signal(3), signal(4)];
    await producer.sendBatch(sent.map((envelope) => ({ topic, key: 'k', envelope })));

    const calls: { ids: string[]; failed: boolean }[] = [];
    const handled = new Set<string>();
    const groupId = group('retry');
    const consumer = startConsumer({
      groupId,
      subscriptions: [{ topic, types: ['signal_generated'] }],
      fromBeginning: true,
      retry: fastRetry,
      handleBatch: async (events) => {
        const failed = calls.length === 0;
        calls.push({ ids: ids(events), failed });
        if (failed) throw new Error('first attempt fails');
        for (const id of ids(events)) handled.add(id);
      },
    });
    await waitFor(() => handled.size === sent.length, 'every event handled');
    await consumer.stop();

    expect(calls[0]!.failed).toBe(true);
    const retried = calls.slice(1).flatMap((c) => c.ids);
    for (const id of calls[0]!.ids) expect(retried).toContain(id);
    expect([...handled].sort()).toEqual(sent.map((e) => e.id).sort());
    expect((await consumerLag(kafka, groupId, [topic]))[0]!.lag).toBe(0);
  });

  it('handles nothing past a chunk whose handler failed until that chunk is handled', async () => {
    const topic = await makeTopic('in-order');
    const sent = Array.from({ length: 12 }, (_, i) => signal(i + 1));
    await producer.sendBatch(sent.map((envelope) => ({ topic, key: 'k', envelope })));
    const failing = sent[4]!.id;

    let failuresLeft = fastRetry.attempts * 2; // through one redelivery: read again, not just retried
    const handled: string[] = [];
    const groupId = group('in-order');
    const consumer = startConsumer({
      groupId,
      subscriptions: [{ topic, types: ['signal_generated'] }],
      fromBeginning: true,
      maxChunkSize: 2,
      retry: fastRetry,
      handleBatch: async (events) => {
        if (ids(events).includes(failing) && failuresLeft > 0) {
          failuresLeft--;
          throw new Error('store unavailable');
        }
        for (const id of ids(events)) if (!handled.includes(id)) handled.push(id);
      },
    });
    await waitFor(() => handled.length === sent.length, 'every event handled');
    await consumer.stop();

    expect(failuresLeft).toBe(0);
    // In log order: nothing after the failed chunk was handled before it.
    expect(handled).toEqual(sent.map((e) => e.id));
    expect((await consumerLag(kafka, groupId, [topic]))[0]!.lag).toBe(0);
  });

  it('with gather, lets the broker hold a fetch so that events sent apart come in one batch', async () => {
    const topic = await makeTopic('gather');
    const groupId = group('gather');
    const batches: string[][] = [];
    const consumer = startConsumer({
      groupId,
      subscriptions: [{ topic, types: ['signal_generated'] }],
      fromBeginning: true,
      gather: { minBytes: 10 * 1024 * 1024, maxWaitMs: 1_500 },
      handleBatch: async (events) => void batches.push(ids(events)),
    });
    // A first event handled: the consumer is fetching.
    await producer.send(topic, 'k', signal(9));
    await waitFor(() => batches.length === 1, 'the first event');
    const sent = [signal(1), signal(2), signal(3)];
    for (const envelope of sent) {
      await producer.send(topic, 'k', envelope);
      await sleep(50);
    }
    await waitFor(() => batches.flat().length === 1 + sent.length, 'every event handled');
    await consumer.stop();
    expect(batches.slice(1)).toEqual([sent.map((e) => e.id)]);
  });

  it('with pace, holds back a paced topic after a delivery of it, so that its events sent apart come in one batch, and not the other topics', async () => {
    const paced = await makeTopic('paced');
    const prompt = await makeTopic('prompt');
    const groupId = group('pace');
    const batches: string[][] = [];
    const consumer = startConsumer({
      groupId,
      subscriptions: [
        { topic: paced, types: ['signal_generated'] },
        { topic: prompt, types: ['signal_generated'] },
      ],
      fromBeginning: true,
      pace: { topics: [paced], everyMs: 1_500 },
      handleBatch: async (events) => void batches.push(ids(events)),
    });
    // A first delivery of the paced topic: it is held back from now on.
    await producer.send(paced, 'k', signal(9));
    await waitFor(() => batches.length === 1, 'the first event');
    const held = [signal(1), signal(2), signal(3)];
    for (const envelope of held) {
      await producer.send(paced, 'k', envelope);
      await sleep(50);
    }
    const other = signal(4);
    await producer.send(prompt, 'k', other);
    await waitFor(() => batches.flat().length === 2 + held.length, 'every event handled');
    await consumer.stop();
    expect(batches.slice(1)).toEqual([[other.id], held.map((e) => e.id)]);
  });

  it('with pace, holds a paced topic back for everyMs also while the other topics are quiet and a fetch could wait far longer', async () => {
    const paced = await makeTopic('paced-quiet');
    const quiet = await makeTopic('quiet');
    const groupId = group('pace-quiet');
    const deliveredAt: number[] = [];
    const consumer = startConsumer({
      groupId,
      subscriptions: [
        { topic: paced, types: ['signal_generated'] },
        { topic: quiet, types: ['signal_generated'] },
      ],
      fromBeginning: true,
      // A fetch may wait 5 s on the broker for data of the topics not held back: here none comes.
      gather: { minBytes: 1, maxWaitMs: 5_000 },
      pace: { topics: [paced], everyMs: 200 },
      handleBatch: async () => void deliveredAt.push(Date.now()),
    });
    await producer.send(paced, 'k', signal(1));
    await waitFor(() => deliveredAt.length === 1, 'the first event');
    const sentAt = Date.now();
    await producer.send(paced, 'k', signal(2));
    await waitFor(() => deliveredAt.length === 2, 'the held event');
    await consumer.stop();
    // Resumed by the first fetch that starts once the hold is over: one that waited out the whole
    // 5 s for the quiet topic would deliver it seconds late.
    expect(deliveredAt[1]! - sentAt).toBeLessThan(2_000);
  });

  it('after a stop, a restart gets exactly the events not yet handled', async () => {
    const topic = await makeTopic('restart');
    const sent = Array.from({ length: 10 }, (_, i) => signal(i + 1));
    await producer.sendBatch(sent.map((envelope) => ({ topic, key: 'k', envelope })));
    const groupId = group('restart');
    const subscriptions = [{ topic, types: ['signal_generated'] as const }];

    const firstRun: SignalEvent[] = [];
    const first = startConsumer({
      groupId,
      subscriptions,
      fromBeginning: true,
      maxChunkSize: 3,
      handleBatch: async (events) => {
        firstRun.push(...events);
        first.abort(); // stop arrives while this chunk is in flight
      },
    });
    await first.done;
    expect(firstRun.length).toBeGreaterThan(0);
    expect(firstRun.length).toBeLessThanOrEqual(3);

    const secondRun: SignalEvent[] = [];
    const second = startConsumer({
      groupId,
      subscriptions,
      fromBeginning: true,
      handleBatch: async (events) => void secondRun.push(...events),
    });
    await waitFor(() => firstRun.length + secondRun.length >= sent.length, 'the rest of the events');
    await second.stop();

    expect([...ids(firstRun), ...ids(secondRun)]).toEqual(sent.map((e) => e.id));
  });

  it('dead-letters an event the handler rejects and processes the others', async () => {
    const topic = await makeTopic('poison');
    const sent = [signal(1), signal(2), signal(3), signal(4)];
    const poison = sent[1]!;
    const offsets = (await producer.sendBatch(sent.map((envelope) => ({ topic, key: 'k', envelope }))))[0]!;
    const groupId = group('poison');

    const handled: string[] = [];
    const consumer = startConsumer({
      groupId,
      subscriptions: [{ topic, types: ['signal_generated'] }],
      fromBeginning: true,
      retry: fastRetry,
      handleBatch: async (events) => {
        if (events.some((e) => e.envelope.id === poison.id)) throw new PoisonEventError('fill for an unknown order');
        for (const id of ids(events)) if (!handled.includes(id)) handled.push(id);
      },
    });
    await waitFor(() => handled.length === 3, 'the three good events');
    const [letter] = await readTopic(dlqTopic(topic), 1);
    await consumer.stop();

    expect(handled).toEqual([sent[0]!.id, sent[2]!.id, sent[3]!.id]);
    expect(JSON.parse(letter!.value!.toString()).id).toBe(poison.id);
    const dlq = readDeadLetterHeaders(letter!.headers);
    expect(dlq.reason).toBe('handler failed 2 times: PoisonEventError: fill for an unknown order');
    expect(dlq.originOffset).toBe(String(BigInt(offsets.baseOffset!) + 1n));
    expect((await consumerLag(kafka, groupId, [topic]))[0]!.lag).toBe(0);
  });

  it.each([
    {
      failure: 'a connection error, even on a lone event',
      count: 1,
      error: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    },
    { failure: 'an unrecognised error every event of a chunk shares', count: 3, error: () => new Error('store unavailable') },
    { failure: 'an unrecognised error on a lone event', count: 1, error: () => new TypeError('cannot read the price') },
  ])('treats $failure as an outage: nothing dead-lettered or committed, all redelivered', async ({ count, error }) => {
    const role = `outage-${randomUUID().slice(0, 6)}`;
    const topic = await makeTopic(role);
    const sent = Array.from({ length: count }, (_, i) => signal(i + 1));
    await producer.sendBatch(sent.map((envelope) => ({ topic, key: 'k', envelope })));
    const groupId = group(role);
    const subscriptions = [{ topic, types: ['signal_generated'] as const }];

    let failedCalls = 0;
    const down = startConsumer({
      groupId,
      subscriptions,
      fromBeginning: true,
      retry: fastRetry,
      handleBatch: async () => {
        failedCalls++;
        throw error();
      },
    });
    // Well past the first round of retries: the outage was declared and the events fetched again.
    await waitFor(() => failedCalls > (count + 1) * fastRetry.attempts * 2, 'the handler to fail through a redelivery');
    await down.stop();

    const [lag] = await consumerLag(kafka, groupId, [topic]);
    expect(lag).toMatchObject({ committedOffset: null, lag: count });
    const admin = kafka.admin();
    await admin.connect();
    const [dlqEnd] = await admin.fetchTopicOffsets(dlqTopic(topic));
    await admin.disconnect();
    expect(dlqEnd!.high).toBe('0');

    const handled: SignalEvent[] = [];
    const up = startConsumer({ groupId, subscriptions, fromBeginning: true, handleBatch: async (events) => void handled.push(...events) });
    await waitFor(() => handled.length >= sent.length, 'every event after recovery');
    await up.stop();
    expect(ids(handled)).toEqual(sent.map((e) => e.id));
  });
});

describe('consumer during a Redis that is loading its data', () => {
  let redis: Redis;
  let release: () => Promise<void>;
  beforeAll(async () => {
    const claimed = await claimRedisDatabase();
    release = claimed.release;
    redis = new Redis(claimed.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await release?.();
  });

  it('waits for it and processes a lone fill, dead-lettering nothing', async () => {
    const topic = await makeTopic('loading');
    const fill = signal(7);
    await producer.send(topic, 'k', fill);
    const groupId = group('loading');
    const ReplyError = (Redis as unknown as { ReplyError: new (message: string) => Error }).ReplyError;

    // More failures than the consumer's own retries: before it is fixed, that dead-letters the event.
    let failures = 0;
    const consumer = startConsumer({
      groupId,
      subscriptions: [{ topic, types: ['signal_generated'] }],
      fromBeginning: true,
      retry: fastRetry,
      handleBatch: async (events) => {
        if (failures < fastRetry.attempts * 2) {
          failures++;
          throw new ReplyError('LOADING Redis is loading the dataset in memory');
        }
        await redis.sadd('handled', ...ids(events));
      },
    });
    await waitFor(async () => (await redis.sismember('handled', fill.id)) === 1, 'the fill handled once Redis has loaded');
    await consumer.stop();

    expect(failures).toBe(fastRetry.attempts * 2);
    expect(await redis.smembers('handled')).toEqual([fill.id]);
    const admin = kafka.admin();
    await admin.connect();
    const [dlqEnd] = await admin.fetchTopicOffsets(dlqTopic(topic));
    await admin.disconnect();
    expect(dlqEnd!.high).toBe('0');
    expect((await consumerLag(kafka, groupId, [topic]))[0]!.lag).toBe(0);
  });
});
