// The consuming loop every pipeline stage shares: a producer for outputs and dead letters, the
// validating consumer, and health bookkeeping, from start until the signal aborts.
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
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
  /** Partitions handled at once (see serial.ts); default 1. */
  partitionsConcurrently?: number;
  /** See EventConsumerOptions. */
  gather?: EventConsumerOptions<T>['gather'];
  /** See EventConsumerOptions. */
  pace?: EventConsumerOptions<T>['pace'];
  signal: AbortSignal;
  health: HealthTracker;
  log: Logger;
  /**
   * Work repeated in the background while the stage runs (re-reading strategies, say). A failure
   * is logged as a warning and the work is tried again at the next interval.
   */
  periodic?: { everyMs: number; what: string; run: () => Promise<void> };
  /** The stage's work on one partition's batch; `producer` is connected and shared with the DLQ. */
  handleBatch: (events: ConsumedEvent<T>[], producer: EventProducer) => Promise<void>;
}

export async function runStageLoop<T extends EventType>(options: StageLoopOptions<T>): Promise<void> {
  const { health, log } = options;
  const producer = createEventProducer(options.kafka);
  await producer.connect();
  health.recordBeat();
  const consuming = `consuming ${options.subscriptions.map((s) => s.topic).join(', ')}`;
  health.setState('running', consuming);
  let deadLettered = 0;
  const stopPeriodic = new AbortController();
  const periodic = options.periodic ? repeat(options.periodic, stopPeriodic.signal, log) : Promise.resolve();
  try {
    await runEventConsumer<T>({
      kafka: options.kafka,
      groupId: options.groupId,
      subscriptions: options.subscriptions,
      fromBeginning: options.fromBeginning ?? false,
      maxChunkSize: options.maxChunkSize,
      partitionsConcurrently: options.partitionsConcurrently,
      gather: options.gather,
      pace: options.pace,
      dlqProducer: producer,
      signal: options.signal,
      handleBatch: (events) => options.handleBatch(events, producer),
      onPoll: () => health.recordBeat(),
      onBrokerAnswering: (answering, reason) => {
        const state = health.snapshot().state;
        if (state === 'running' || state === 'waiting') health.setState(answering ? 'running' : 'waiting', answering ? consuming : reason);
      },
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
    stopPeriodic.abort();
    await periodic;
    await producer.disconnect();
    log.info(health.snapshot(), 'stage stopped');
  }
}

async function repeat(work: NonNullable<StageLoopOptions<EventType>['periodic']>, signal: AbortSignal, log: Logger): Promise<void> {
  while (!signal.aborted) {
    try {
      await sleep(work.everyMs, undefined, { signal });
    } catch {
      return;
    }
    await work.run().catch((error: unknown) => log.warn({ err: error }, `could not ${work.what}; trying again in ${work.everyMs} ms`));
  }
}
