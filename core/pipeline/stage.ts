// The consuming loop every pipeline stage shares: a producer for outputs and dead letters, the
// validating consumer, and health bookkeeping, from start until the signal aborts.
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/load';
import type { BrokerNamespace } from '../domain/namespace';
import type { NamespaceTopics } from '../domain/topics';
import type { EventType } from '../domain/events';
import { runEventConsumer, type ConsumedEvent, type EventConsumerOptions } from '../kafka/consumer';
import { createEventProducer, type EventProducer } from '../kafka/producer';
import type { HealthTracker } from '../service';

/** What every namespace stage is built from (workers/services.ts passes these). */
export interface StageDeps<C extends keyof Config = keyof Config> {
  config: Pick<Config, C>;
  namespace: BrokerNamespace;
  kafka: Kafka;
  redis: Redis;
  postgres: Pool;
  topics: NamespaceTopics;
  /** market.ticks (a prefixed twin in tests and the benchmark). */
  ticksTopic: string;
  groupId: string;
  /** Read the inputs from the beginning when the group has no committed offsets (tests). */
  fromBeginning?: boolean;
  /** Wall clock for envelope timestamps (`ts`); event data carries event times. */
  now?: () => Date;
}

export interface StageLoopOptions<T extends EventType> {
  kafka: Kafka;
  groupId: string;
  subscriptions: EventConsumerOptions<T>['subscriptions'];
  fromBeginning?: boolean;
  maxChunkSize?: number;
  signal: AbortSignal;
  health: HealthTracker;
  log: Logger;
  /** The stage's work on one partition's batch; `producer` is connected and shared with the DLQ. */
  handleBatch: (events: ConsumedEvent<T>[], producer: EventProducer) => Promise<void>;
}

export async function runStageLoop<T extends EventType>(options: StageLoopOptions<T>): Promise<void> {
  const { health, log } = options;
  const producer = createEventProducer(options.kafka);
  await producer.connect();
  health.setState('running', `consuming ${options.subscriptions.map((s) => s.topic).join(', ')}`);
  let deadLettered = 0;
  try {
    await runEventConsumer<T>({
      kafka: options.kafka,
      groupId: options.groupId,
      subscriptions: options.subscriptions,
      fromBeginning: options.fromBeginning ?? false,
      maxChunkSize: options.maxChunkSize,
      dlqProducer: producer,
      signal: options.signal,
      handleBatch: (events) => options.handleBatch(events, producer),
      onProgress: (progress) => {
        health.recordOffsets(progress.lastOffsets);
        health.recordDeadLettered(progress.deadLettered - deadLettered);
        deadLettered = progress.deadLettered;
      },
    });
    health.setState('stopped');
  } catch (error) {
    health.setState('failed', (error as Error).message);
    throw error;
  } finally {
    await producer.disconnect();
    log.info(health.snapshot(), 'stage stopped');
  }
}
