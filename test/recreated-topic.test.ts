// A stage whose input topic is deleted and recreated (or whose broker is wiped) finds new events
// under its offset watermark. It must halt and name the remedy, not skip them as seen. Real
// broker and Redis; topics and groups carry a run id and are deleted afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type Envelope } from '../core/domain/events';
import { dlqTopic, type TopicSpec } from '../core/domain/topics';
import { makeSignal, makeTick } from '../core/domain/trading/testing';
import { createKafka } from '../core/kafka/client';
import { runEventConsumer } from '../core/kafka/consumer';
import { HaltConsumerError } from '../core/kafka/failures';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { processOnce } from '../core/pipeline/process-once';
import { claimRedisDatabase, testConfig } from './support/stack';
import { releaseBroker } from './support/topics';

configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const run = `it-recreate-${randomUUID().slice(0, 8)}`;
const kafka = createKafka(testConfig(), run);
const created = { topics: [] as string[], groups: [] as string[] };
let admin: Admin;
let producer: EventProducer;
let redis: Redis;
let release: () => Promise<void>;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  producer = createEventProducer(kafka);
  await producer.connect();
  const claimed = await claimRedisDatabase();
  release = claimed.release;
  redis = new Redis(claimed.url);
});

afterAll(async () => {
  await producer?.disconnect();
  await releaseBroker(admin, created);
  redis?.disconnect();
  await release?.();
});

const specs = (topic: string): TopicSpec[] =>
  [topic, dlqTopic(topic)].map((name) => ({ name, partitions: 1, retentionMs: 3_600_000, key: 'test', namespace: 'shared' }));

/** Deletes the topic and creates it again, once the broker has finished the deletion. */
async function recreate(topic: string): Promise<void> {
  await admin.deleteTopics({ topics: [topic] });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const result = await bootstrapTopics(kafka, specs(topic)).catch(() => undefined);
    if (result?.created.includes(topic)) return;
    if (Date.now() > deadline) throw new Error(`${topic} could not be created again`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

type Make = () => Envelope<'tick_received'> | Envelope<'signal_generated'>;
const tick: Make = () => createEvent({ type: 'tick_received', source: 'it', namespace: 'shared', data: makeTick(250_000) });
const signal: Make = () => createEvent({ type: 'signal_generated', source: 'it', namespace: 'paper', data: makeSignal() });

describe('a stage on a recreated topic', () => {
  it.each([
    { kind: 'ticks (watermark only)', make: tick, types: ['tick_received'] as const },
    { kind: 'derived events (watermark and marks)', make: signal, types: ['signal_generated'] as const },
  ])('halts with the remedy instead of skipping new $kind', async ({ make, types }) => {
    const role = randomUUID().slice(0, 6);
    const topic = `${run}.${role}`;
    const groupId = `${run}.${role}.stage`;
    created.topics.push(topic, dlqTopic(topic));
    created.groups.push(groupId);
    await bootstrapTopics(kafka, specs(topic));

    const handled: string[] = [];
    const stage = (signal: AbortSignal) =>
      runEventConsumer({
        kafka,
        groupId,
        subscriptions: [{ topic, types: [...types] }],
        fromBeginning: true,
        dlqProducer: producer,
        signal,
        retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
        handleBatch: async (events) => {
          await processOnce({
            redis,
            namespace: 'paper',
            stage: `recreate-${role}`,
            producer: { sendBatch: async () => [] },
            events,
            apply: (fresh) => {
              handled.push(...fresh.map((event) => event.envelope.id));
              return { outputs: [] };
            },
          });
        },
      });

    const before = [make(), make(), make(), make()];
    await producer.sendBatch(before.map((envelope) => ({ topic, key: 'k', envelope })));
    const first = new AbortController();
    const firstRun = stage(first.signal);
    const deadline = Date.now() + 60_000;
    while (handled.length < before.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    first.abort();
    await firstRun;
    expect(handled).toEqual(before.map((e) => e.id));

    await recreate(topic);
    const after = [make(), make()]; // offsets 0 and 1, under the watermark 3
    await producer.sendBatch(after.map((envelope) => ({ topic, key: 'k', envelope })));
    const second = new AbortController();
    const timeout = setTimeout(() => second.abort(), 60_000);
    try {
      const outcome = stage(second.signal);
      await expect(outcome).rejects.toThrow(HaltConsumerError);
      await expect(outcome).rejects.toThrow(/recreated or the broker's data wiped.*delete the Redis keys paper:watermark:recreate-/);
    } finally {
      clearTimeout(timeout);
    }
    expect(handled).toEqual(before.map((e) => e.id));
    // Nothing of the new log was committed: fixed as the message says, the stage processes it all.
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed!.partitions[0]!.offset).toBe('-1');
  });
});
