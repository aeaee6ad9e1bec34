// The validating consumer every streaming service runs on.
//
// Delivery: at-least-once. Offsets are committed explicitly, and only after `handleBatch` has
// resolved for everything up to them (handlers make their effect durable, with their dedup record,
// before resolving), so a crash or stop can repeat events but never skip one. The commit is sent
// without waiting for it before the next chunk (the partitions finished together in one request,
// one request in flight at a time, see offset-commits.ts, and awaited before a stop returns): the
// handlers' own watermarks, not the group's offsets, are what drop a redelivered event, so a
// commit that arrives late or is lost only repeats work they skip.
//
// Poison messages never stop the consumer, and an outage never empties a topic into the DLQ:
// - A message that is not JSON, not a valid envelope, or not a type this subscription accepts is
//   sent to `<topic>.dlq` (original key, value and headers, plus dlq-* headers) and skipped.
// - When the handler throws, the chunk is retried with exponential backoff.
// - If it still fails, only an error that rejects the event itself (see failures.ts: validation,
//   exact money, PoisonEventError) can lead to a dead letter. Any other error is an outage, known
//   (connection refused, Redis loading, Postgres read-only...) or not: nothing is dead-lettered or
//   committed, and the error goes to kafkajs, which backs off, restarts the consumer and
//   redelivers the chunk, until the handler succeeds.
// - A rejected chunk is retried one event at a time to find the culprits, which are dead-lettered
//   with the handler's error as the reason; so is a lone rejected event.
// - A HaltConsumerError stops the consumer at once: nothing committed, no retry, and
//   runEventConsumer rejects with it.
// - Rejections every event shares are taken as an outage all the same (a bug or a bad deploy is
//   likelier than a run of poison): `outageThreshold` events rejected in a row, or every event of
//   a chunk of several.
import { setTimeout as sleep } from 'node:timers/promises';
import type { EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Envelope, EventType } from '../domain/events';
import { decodeMessage } from './decode';
import { getLogger } from '../logging';
import { deadLetterRecord, type DeadLetterOrigin } from './dead-letter';
import { HaltConsumerError, isPoisonError } from './failures';
import type { EventProducer } from './producer';
import { assertIsolated } from './isolation';
import { BROKER_RETRY } from './client';
import { Coalescer } from './coalescer';
import { OffsetCommits } from './offset-commits';
import { recordConsumerWait } from '../metrics/stage-timings';

export { consumerLag, type PartitionLag } from './lag';

export interface ConsumedEvent<T extends EventType = EventType> {
  envelope: Envelope<T>;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

export interface ConsumerProgress {
  processed: number;
  deadLettered: number;
  /** `<topic>:<partition>` -> the last offset handled (processed or dead-lettered) and committed. */
  lastOffsets: Record<string, string>;
}

export interface RetryPolicy {
  /** Tries per chunk, and again per event when isolating a failure. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** This many events rejected in a row is taken as an outage rather than poison. */
  outageThreshold: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, initialDelayMs: 500, maxDelayMs: 5_000, outageThreshold: 3 };

/** Where dead letters go: the event producer's raw send, or a plain kafkajs producer. */
export type DeadLetterSink = Pick<EventProducer, 'sendRaw'> | Pick<Producer, 'send'>;

export interface EventConsumerOptions<T extends EventType> {
  kafka: Kafka;
  groupId: string;
  subscriptions: readonly { topic: string; types: readonly T[] }[];
  fromBeginning?: boolean;
  /**
   * Handles a batch of valid events from one or more partitions, each partition's in order (the
   * partitions handled at once are delivered together, see coalescer.ts). Must make its effect
   * durable before resolving; offsets are committed only after it resolves. May see an event again
   * after a crash or retry, so it skips ids it has already processed (see core/redis/dedup.ts).
   */
  handleBatch: (events: ConsumedEvent<T>[]) => Promise<void>;
  /** A connected producer; the consumer does not connect or disconnect it. */
  dlqProducer: DeadLetterSink;
  /** Stop: finish the current chunk, commit, disconnect, resolve. */
  signal: AbortSignal;
  onProgress?: (progress: ConsumerProgress) => void;
  /**
   * Liveness: called on every fetch from the broker (empty ones included, at least every few
   * seconds while idle), every chunk and every retry, so a loop that stops calling it is stuck.
   */
  onPoll?: () => void;
  /**
   * Told when the broker has not answered a fetch for BROKER_SILENCE_MS while no batch was in
   * hand (`answering` false, with why), and again when a fetch is answered (true).
   */
  onBrokerAnswering?: (answering: boolean, reason?: string) => void;
  /** Most events per handleBatch call. */
  maxChunkSize?: number;
  /**
   * Partitions handled at once (kafkajs `partitionsConsumedConcurrently`); their chunks are
   * delivered together in one handleBatch call, and each partition's chunks still come in order,
   * one at a time. Default 1.
   */
  partitionsConcurrently?: number;
  /**
   * Let the broker hold a fetch until this much has arrived or `maxWaitMs` has passed, for a stage
   * whose inputs may wait a little (kafkajs's minBytes and maxWaitTimeInMs); by default a fetch
   * returns with the first message.
   */
  gather?: { minBytes: number; maxWaitMs: number };
  /**
   * Topics whose events may wait a little: after a delivery of one, the topic is left out of the
   * fetches for `everyMs`, so what arrives of it meanwhile comes in one delivery instead of one per
   * fetch, while the other topics are fetched as usual (unlike `gather`, which holds every fetch).
   * A fetch then waits at most `everyMs` on the broker, so that the hold ends on time.
   */
  pace?: { topics: readonly string[]; everyMs: number };
  retry?: Partial<RetryPolicy>;
}

export class ConsumerOutageError extends Error {
  override name = 'ConsumerOutageError';
}

/**
 * How long a fetch may wait on the broker for data. A fetch returns as soon as one byte is there
 * (kafkajs's minBytes is 1, unless the stage gathers), so this only bounds an idle poll; short,
 * so that a partition whose batch was just handled is fetched again promptly.
 */
export const FETCH_MAX_WAIT_MS = 100;

/** How long the group waits for a silent member before giving its partitions to the others. */
export const CONSUMER_SESSION_TIMEOUT_MS = 10_000;

/** An idle consumer fetches every FETCH_MAX_WAIT_MS: this long without an answer is a broker loss. */
export const BROKER_SILENCE_MS = 5_000;

/** How long a fetch may wait on the broker: FETCH_MAX_WAIT_MS or the gather's, at most a pace's hold (see holdBack). */
const fetchWaitMs = (options: Pick<EventConsumerOptions<EventType>, 'gather' | 'pace'>): number =>
  Math.min(options.gather?.maxWaitMs ?? FETCH_MAX_WAIT_MS, options.pace?.everyMs ?? Number.POSITIVE_INFINITY);

export { decodeEvent, type Decoded } from './decode';

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

type Attempt = { outcome: 'succeeded' } | { outcome: 'failed'; error: unknown } | { outcome: 'aborted' };

interface Pending<T extends EventType> {
  event: ConsumedEvent<T>;
  message: KafkaMessage;
}

export async function runEventConsumer<T extends EventType>(options: EventConsumerOptions<T>): Promise<void> {
  const { kafka, groupId, signal } = options;
  if (signal.aborted) return;
  const logger = getLogger('application').child({ component: 'consumer', groupId });
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const maxChunkSize = options.maxChunkSize ?? 1000;
  const typesByTopic = new Map(options.subscriptions.map((s) => [s.topic, s.types]));
  /** Topics of ticks, told apart from other stages' events in the fetch-wait figures. */
  const tickTopics = new Set(options.subscriptions.filter((s) => (s.types as readonly string[]).includes('tick_received')).map((s) => s.topic));
  const sendDeadLetter = (record: { topic: string; messages: Message[] }) =>
    'sendRaw' in options.dlqProducer ? options.dlqProducer.sendRaw(record) : options.dlqProducer.send({ ...record, acks: -1 });
  const progress: ConsumerProgress = { processed: 0, deadLettered: 0, lastOffsets: {} };
  /**
   * The latest batch's payload: its commit goes to the group directly, also while the consumer is
   * stopping (consumer.commitOffsets would skip it then).
   */
  let latest: EachBatchPayload | undefined;
  const offsetCommits = new OffsetCommits(
    (topics) => latest!.commitOffsetsIfNecessary({ topics }),
    (offsets) => {
      for (const { topic, partition, lastOffset } of offsets) progress.lastOffsets[`${topic}:${partition}`] = lastOffset;
      options.onProgress?.({ ...progress, lastOffsets: { ...progress.lastOffsets } });
    },
    (error, offsets) => logger.warn({ err: error, offsets }, 'offset commit failed; sent again shortly (a redelivery meanwhile is dropped by the watermark)'),
  );

  async function withRetries(work: () => Promise<void>, heartbeat: () => Promise<void>, what: string): Promise<Attempt> {
    let delay = retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return { outcome: 'succeeded' };
      } catch (error) {
        if (error instanceof HaltConsumerError) throw error;
        if (attempt >= retry.attempts) return { outcome: 'failed', error };
        logger.warn({ err: error, attempt, of: retry.attempts }, `handler failed on ${what}; retrying`);
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          return { outcome: 'aborted' };
        }
        await heartbeat();
        delay = Math.min(delay * 2, retry.maxDelayMs);
      }
    }
  }

  const deadLetterOf = async (pending: DeadLetterOrigin & { message: KafkaMessage }, reason: string) => {
    const { message, ...from } = pending;
    const { topic: dlq, message: record } = deadLetterRecord(message, from, reason);
    await sendDeadLetter({ topic: dlq, messages: [record] });
    progress.deadLettered++;
    logger.warn({ topic: from.topic, partition: from.partition, offset: message.offset, dlq, reason }, 'message dead-lettered');
  };
  const dead = (pending: Pending<T>, reason: string) =>
    deadLetterOf({ topic: pending.event.topic, partition: pending.event.partition, offset: pending.message.offset, groupId, message: pending.message }, reason);
  const where = (chunk: readonly Pending<T>[]) => [...new Set(chunk.map((p) => `${p.event.topic}[${p.event.partition}]`))].join(', ');

  /** Delivers a chunk (of one or more partitions); false when stopping interrupted it (nothing of it may be committed). */
  const deliver = async (chunk: Pending<T>[], heartbeat: () => Promise<void>): Promise<boolean> => {
    const whole = await withRetries(() => options.handleBatch(chunk.map((p) => p.event)), heartbeat, `${chunk.length} events`);
    if (whole.outcome === 'aborted') return false;
    if (whole.outcome === 'succeeded') {
      progress.processed += chunk.length;
      return true;
    }
    if (!isPoisonError(whole.error)) {
      throw new ConsumerOutageError(`handler failed on ${where(chunk)}: ${describe(whole.error)}`, { cause: whole.error });
    }
    if (chunk.length === 1) {
      await dead(chunk[0]!, `handler failed ${retry.attempts} times: ${describe(whole.error)}`);
      return true;
    }
    // Isolate: which events fail on their own?
    let succeeded = 0;
    const suspects: { pending: Pending<T>; error: unknown }[] = [];
    let consecutiveFailures = 0;
    for (const pending of chunk) {
      const single = await withRetries(() => options.handleBatch([pending.event]), heartbeat, `event ${pending.event.envelope.id}`);
      if (single.outcome === 'aborted') return false;
      if (single.outcome === 'succeeded') {
        succeeded++;
        consecutiveFailures = 0;
        continue;
      }
      if (!isPoisonError(single.error)) {
        throw new ConsumerOutageError(`handler failed on ${where([pending])}: ${describe(single.error)}`, { cause: single.error });
      }
      suspects.push({ pending, error: single.error });
      if (++consecutiveFailures >= retry.outageThreshold) {
        throw new ConsumerOutageError(`${consecutiveFailures} events in a row rejected on ${where([pending])}: ${describe(single.error)}`);
      }
    }
    if (succeeded === 0) {
      throw new ConsumerOutageError(`every event of a chunk rejected on ${where(chunk)}: ${describe(suspects[0]?.error)}`);
    }
    for (const { pending, error } of suspects) await dead(pending, `handler failed ${retry.attempts} times: ${describe(error)}`);
    progress.processed += succeeded;
    return true;
  };
  const deliveries = new Coalescer(deliver);

  let halted: HaltConsumerError | undefined;
  /** When the broker last answered a fetch or a batch was done with; batches in hand meanwhile. */
  let lastAnswerAt = Date.now();
  let inBatch = 0;
  async function processBatchOrHalt(payload: EachBatchPayload): Promise<void> {
    if (halted) return;
    inBatch++;
    try {
      await processBatch(payload);
      // Stopping: the last commit is part of a clean stop, made before the group is left.
      if (!payload.isRunning() || signal.aborted) await offsetCommits.settled();
    } catch (error) {
      if (!(error instanceof HaltConsumerError)) throw error;
      // Returned, not thrown: kafkajs would retry and restart; the caller is to see it instead.
      halted = error;
      logger.error({ err: error }, 'consumer halted');
      failed?.(error);
    } finally {
      inBatch--;
      lastAnswerAt = Date.now();
    }
  }

  async function processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    latest = payload;
    const newest = batch.messages.at(-1);
    if (newest) recordConsumerWait(groupId, tickTopics.has(batch.topic) ? 'tick-fetched' : 'event-fetched', Date.now() - Number(newest.timestamp));
    const heartbeat = async () => {
      options.onPoll?.();
      await payload.heartbeat();
    };
    const { topic, partition } = batch;
    const types = typesByTopic.get(topic);
    if (!types) throw new Error(`received ${topic}, which this consumer did not subscribe to`);
    const deadLetter = (message: KafkaMessage, reason: string) => deadLetterOf({ topic, partition, offset: message.offset, groupId, message }, reason);

    const commit = async (lastOffset: string) => {
      payload.resolveOffset(lastOffset);
      // Not awaited: a commit still in flight at a crash only widens what is redelivered, and the
      // handlers' watermarks drop what they processed (a batch interrupted before its Redis
      // commit is replayed exactly, see core/pipeline/process-once.ts).
      offsetCommits.add({ topic, partition, lastOffset });
      await heartbeat();
    };

    let chunk: Pending<T>[] = [];
    let settledThrough: string | undefined; // last offset covered by `chunk` or dead-lettered
    const flush = async (): Promise<boolean> => {
      if (chunk.length > 0 && !(await deliveries.submit(chunk, heartbeat, (ms) => recordConsumerWait(groupId, 'queued', ms)))) return false;
      if (settledThrough !== undefined) await commit(settledThrough);
      chunk = [];
      settledThrough = undefined;
      return true;
    };

    for (const message of batch.messages) {
      if (!isRunning() || isStale() || signal.aborted || halted) break;
      const decoded = decodeMessage({ topic, partition, offset: message.offset }, message.value, types);
      if (decoded.ok) {
        const key = message.key === null ? null : message.key.toString('utf8');
        chunk.push({ message, event: { envelope: decoded.envelope, topic, partition, offset: message.offset, key } });
      } else {
        await deadLetter(message, decoded.reason);
      }
      settledThrough = message.offset;
      if (chunk.length >= maxChunkSize && !(await flush())) return;
    }
    // A partition that was re-assigned or seeked meanwhile must not get our commit.
    if (isStale() || halted) return;
    await flush();
    if (pacedTopics.has(topic)) holdBack(topic);
  }

  // A paced topic is paused after a delivery of it and resumed by the first fetch that starts
  // `everyMs` later or after (FETCH_START, emitted just before kafkajs builds the request from
  // what is paused; a timer could fire between a crash and kafkajs's restart, when the consumer
  // has no group to resume, and the group it restarts with has nothing paused). kafkajs leaves a
  // paused partition out of its fetch requests and drops what an in-flight fetch brings of it
  // without moving its position, so nothing is skipped: the fetch after the resume gets all that
  // arrived meanwhile. It starts once the one in flight returns, which, holding only the other
  // topics, waits on the broker for them: so a paced consumer's fetches wait at most `everyMs`
  // (fetchWaitMs), or a quiet spell of the other topics would hold the paced one back for the
  // whole fetch wait (the trading engine's ticks for 100 ms instead of 20 when no signal came).
  const pacedTopics = new Set(options.pace?.topics ?? []);
  /** Paused topic -> when its hold ends (ms since the epoch). */
  const heldUntil = new Map<string, number>();
  const holdBack = (topic: string) => {
    if (heldUntil.has(topic) || signal.aborted) return;
    consumer.pause([{ topic }]);
    heldUntil.set(topic, Date.now() + options.pace!.everyMs);
  };
  const resumeHeld = () => {
    const now = Date.now();
    for (const [topic, until] of heldUntil) {
      if (now < until) continue;
      heldUntil.delete(topic);
      consumer.resume([{ topic }]);
    }
  };

  // Listened for from the start, so a stop requested while connecting is not missed.
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  assertIsolated({ topics: options.subscriptions.map((s) => s.topic), groupId }, 'consumer');
  // The fetch loop retries like the client (BROKER_RETRY): kafkajs' default of 5 quick retries
  // gives up within seconds of a broker loss, and the restarted consumer joins as a new member
  // that waits out the old member's session before the group consumes again.
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: fetchWaitMs(options),
    minBytes: options.gather?.minBytes ?? 1,
    retry: BROKER_RETRY,
    // A member whose process died holds its partitions until its session expires: kafkajs'
    // default of 30 s would keep a stage's partitions from the instance that takes over, well past
    // the failover target (a trading service back within 15 s). A live member heartbeats every
    // second, also while a delivery retries (withRetries).
    sessionTimeout: CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatInterval: 1_000,
  });
  let failed: ((error: Error) => void) | undefined;
  const crashed = new Promise<never>((_, reject) => (failed = reject));
  crashed.catch(() => {}); // observed below; keeps an early crash from being reported as unhandled
  // Liveness is a fetch the broker answered, not one attempted: during a broker outage kafkajs
  // keeps starting fetches, and the service is not consuming.
  let answering = true;
  consumer.on(consumer.events.FETCH, () => {
    lastAnswerAt = Date.now();
    options.onPoll?.();
    if (!answering) {
      answering = true;
      logger.info('broker answering again');
      options.onBrokerAnswering?.(true);
    }
  });
  let lastError = 'no answer';
  const silence = setInterval(() => {
    if (!answering || inBatch > 0 || Date.now() - lastAnswerAt < BROKER_SILENCE_MS) return;
    answering = false;
    const reason = `the Kafka broker has not answered for ${Math.round((Date.now() - lastAnswerAt) / 1000)} s (${lastError})`;
    logger.warn(reason);
    options.onBrokerAnswering?.(false, reason);
  }, 1_000);
  silence.unref();
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = payload.memberAssignment;
    offsetCommits.retainOnly((topic, partition) => assigned[topic]?.includes(partition) === true);
  });
  if (pacedTopics.size > 0) consumer.on(consumer.events.FETCH_START, resumeHeld);
  consumer.on(consumer.events.REQUEST_TIMEOUT, () => (lastError = 'request timed out'));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    lastError = describe(payload.error);
    if (payload.restart) logger.error({ err: payload.error }, 'consumer crashed; kafkajs restarts it');
    else failed?.(payload.error);
  });

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: options.subscriptions.map((s) => s.topic), fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
      eachBatch: processBatchOrHalt,
    });
    await Promise.race([stopped, crashed]);
  } finally {
    clearInterval(silence);
    // Waits for the batch in progress, which commits what it finished before returning.
    await consumer.disconnect();
    await offsetCommits.settled();
    offsetCommits.close();
  }
}
