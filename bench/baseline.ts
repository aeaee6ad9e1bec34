// The yardstick: a bare kafkajs produce-then-consume loop on the same broker, over as many
// messages of the same size as the pipeline run, with none of the pipeline's work (no parsing,
// validation, Redis, Postgres or per-stage produce). A consumer on a new group joins first; then
// the clock starts, a plain producer (kafkajs defaults, acks from all in-sync replicas) sends the
// messages in batches of the feed's size across the same number of partitions, and the clock
// stops when the consumer has received the last one.
import { BROKER_RETRY } from '../core/kafka/client';
import { Partitioners, type IHeaders, type Kafka } from 'kafkajs';
import { topicSpecs, type TopicSpec } from '../core/domain/topics';
import { bootstrapTopics } from '../core/kafka/topics';

const PRODUCE_BATCH = 500;

export interface BaselineOptions {
  kafka: Kafka;
  /** The run's topic prefix: the baseline topic is created under it. */
  prefix: string;
  groupId: string;
  messages: number;
  /** The message value (its size is what matters) and the keys to spread over partitions. */
  value: Buffer;
  headers?: IHeaders;
  keys: readonly string[];
  onProgress?: (consumed: number) => void;
  signal?: AbortSignal;
}

export interface BaselineFigures {
  messages: number;
  messageBytes: number;
  produceMs: number;
  /** First send -> last message consumed. */
  elapsedMs: number;
}

/** A topic shaped like the ticks topic (same partitions), under the run's prefix. */
export function baselineTopicSpec(prefix: string): TopicSpec {
  const ticks = topicSpecs([], prefix)[0]!;
  return { ...ticks, name: `${prefix}bench.baseline` };
}

export async function runBaseline(options: BaselineOptions): Promise<BaselineFigures> {
  const { kafka, messages } = options;
  const spec = baselineTopicSpec(options.prefix);
  const topic = spec.name;
  await bootstrapTopics(kafka, [spec]);
  const consumer = kafka.consumer({ groupId: options.groupId, retry: BROKER_RETRY });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  let consumed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  try {
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        options.onProgress?.(consumed);
        if (consumed >= messages) resolveDone();
      },
    });
    await joined;

    const startedAt = Date.now();
    for (let sent = 0; sent < messages && !options.signal?.aborted; ) {
      const count = Math.min(PRODUCE_BATCH, messages - sent);
      await producer.send({
        topic,
        messages: Array.from({ length: count }, (_, i) => ({
          key: options.keys[(sent + i) % options.keys.length]!,
          value: options.value,
          headers: options.headers,
        })),
      });
      sent += count;
    }
    const producedAt = Date.now();
    const aborted = new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([done, aborted]);
    if (options.signal?.aborted) throw new Error('benchmark interrupted');
    return { messages, messageBytes: options.value.length, produceMs: producedAt - startedAt, elapsedMs: Date.now() - startedAt };
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
  }
}

export interface HopBaselineOptions {
  kafka: Kafka;
  prefix: string;
  groupId: string;
  /** Messages sent one at a time, each waiting for its acknowledgement, this many per second. */
  messages: number;
  rate: number;
  value: Buffer;
  signal?: AbortSignal;
}

/**
 * One bare broker hop: single messages produced (acks from all in-sync replicas, like the
 * pipeline's producers) at a steady rate and consumed by a consumer that polls with a short wait;
 * each latency is the arrival minus the send time. The floor under every hop of the pipeline.
 */
export async function runHopBaseline(options: HopBaselineOptions): Promise<number[]> {
  const { kafka } = options;
  const spec = { ...baselineTopicSpec(options.prefix), name: `${options.prefix}bench.hop` };
  await bootstrapTopics(kafka, [spec]);
  const consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 100, retry: BROKER_RETRY });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const latencies: number[] = [];
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  try {
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topic: spec.name, fromBeginning: true });
    await consumer.run({
      // No commits (the group is the run's own): kafkajs' default commits after every batch, and
      // that request sits in front of the next fetch on the broker's connection, which put about
      // 7 ms into this floor.
      autoCommit: false,
      partitionsConsumedConcurrently: spec.partitions,
      eachBatch: async ({ batch }) => {
        const arrivedAt = Date.now();
        for (const message of batch.messages) latencies.push(arrivedAt - Number(message.headers!['sent-at']!.toString()));
      },
    });
    await joined;
    const startedAt = Date.now();
    for (let sent = 0; sent < options.messages && !options.signal?.aborted; sent++) {
      const due = startedAt + (sent * 1000) / options.rate - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      await producer.send({ topic: spec.name, acks: -1, messages: [{ key: String(sent), value: options.value, headers: { 'sent-at': String(Date.now()) } }] });
    }
    const deadline = Date.now() + 10_000;
    while (latencies.length < options.messages && Date.now() < deadline && !options.signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (options.signal?.aborted) throw new Error('benchmark interrupted');
    return latencies;
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
  }
}
