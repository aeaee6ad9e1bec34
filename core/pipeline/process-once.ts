// The one effectively-once step every pipeline stage runs per batch (DESIGN: "a consumer records
// an event id as processed in the same step that makes its effect durable"):
//   1. drop events this stage already processed;
//   2. compute outputs (with ids derived from their cause, see core/domain/ids.ts) and effects;
//   3. make idempotent external effects durable (Postgres rows keyed by event id), produce outputs;
//   4. commit the stage's Redis state and the processed marks in ONE MULTI;
// and only then does the consumer commit offsets. A crash between 3 and 4 replays the batch from
// the old state: the same outputs with the same ids are produced again and the next stage's dedup
// drops them; Postgres inserts are no-ops. A crash after 4 replays nothing: the events are marked.
//
// A replay recomputes from the same state and events, so it repeats the outputs exactly as long as
// the stage decides from those alone. What it reads from elsewhere (the kill switch) is its batch
// context: read fresh for a new batch and written ahead to Redis before anything is produced, then
// used again, instead of a fresh read, by the replay of a batch that a crash interrupted; the
// commit of the batch removes it.
//
// Two kinds of mark, because duplicates arrive two ways:
// - a redelivery of the same offset (crash before the offset commit): caught by a watermark, the
//   last offset processed per topic-partition, one key per partition;
// - the same event id at a new offset (an upstream stage replayed and re-produced it): caught by a
//   per-id mark with a TTL. Ticks never arrive this way (the feed does not replay), so they get
//   the watermark alone: per-id keys for every tick would be hundreds of millions a day.
//
// A recreated topic (or a wiped broker) starts its offsets again from 0, under the watermark: the
// watermark alone would skip every new event silently. kafkajs cannot read topic ids, so the
// stage checks that whatever it finds at or below its watermark is what it processed there: the
// event at the watermark offset has the id recorded with it, every other event has its processed
// mark, and a tick (no marks) is no newer than the tick recorded at the watermark. Anything else
// is a different log, and the stage halts with the remedy instead of skipping.
import type { ChainableCommander, Redis } from 'ioredis';
import type { EventType } from '../domain/events';
import type { ConsumedEvent } from '../kafka/consumer';
import { HaltConsumerError } from '../kafka/failures';
import type { EventMessage, EventProducer } from '../kafka/producer';
import { filterUnprocessed, markProcessed } from '../redis/dedup';
import { namespacedKey, type KeyNamespace } from '../redis/keys';
import type { CriticalSection } from './serial';

/** Event types that are only ever produced once (never re-emitted by a replaying stage). */
const WATERMARK_ONLY: ReadonlySet<EventType> = new Set(['tick_received']);

/** More than any batch a consumer can have in flight between two offset commits. */
const REDELIVERY_WINDOW = 100_000n;

const watermarkKey = (namespace: KeyNamespace, stage: string, topic: string, partition: number | '*') =>
  namespacedKey(namespace, 'watermark', stage, topic, partition);
/** The id and envelope time of the event at the watermark offset (JSON). */
const watermarkEventKey = (namespace: KeyNamespace, stage: string, topic: string, partition: number | '*') =>
  namespacedKey(namespace, 'watermark-event', stage, topic, partition);

interface WatermarkEvent {
  id: string;
  ts: string;
}

/** The context of the batch of a partition that was computed but not committed yet. */
const inFlightKey = (namespace: KeyNamespace, stage: string, topic: string, partition: number) =>
  namespacedKey(namespace, 'in-flight', stage, topic, partition);

interface InFlight<C> {
  /** The last offset of the batch that used this context. */
  lastOffset: string;
  context: C;
}

export interface BatchOutcome {
  /** Events to produce; their envelope ids must be derived from their causes. */
  outputs: EventMessage[];
  /** Idempotent durable effects outside Redis (e.g. Postgres upserts), run before producing. */
  durable?: () => Promise<void>;
  /** Adds the stage's new Redis state to the MULTI that also marks the events processed. */
  persist?: (multi: ChainableCommander) => void;
}

export interface ProcessOnceOptions<T extends EventType, C = undefined> {
  redis: Redis;
  namespace: KeyNamespace;
  /** The stage's name: dedup marks are per stage, each stage sees every event once. */
  stage: string;
  producer: Pick<EventProducer, 'sendBatch'>;
  events: readonly ConsumedEvent<T>[];
  /**
   * Reads what the batch depends on besides the committed state and the events (JSON data). Read
   * only for a batch with unseen events, and not at all when an interrupted batch of this
   * partition is being replayed: that one gets the context it was first computed with.
   */
  context?: () => Promise<C>;
  /** Pure with respect to the stage's committed state and the context: called only with unseen events. */
  apply: (fresh: ConsumedEvent<T>[], context: C) => BatchOutcome | Promise<BatchOutcome>;
  /**
   * The stage's critical section (see serial.ts and stage-lock.ts): the whole step, from reading
   * the watermark to the Redis commit and `committed`, runs inside it, so that a batch another
   * instance committed meanwhile is seen as processed. Its MULTI, when it has one, is the commit's.
   */
  serial?: CriticalSection;
  /** Called once the batch's Redis commit succeeded (inside `serial`): the in-memory commit. */
  committed?: () => void;
}

/**
 * `events` are one partition's batch, in offset order (as runEventConsumer delivers them).
 * Returns how many events were new (processed now) and how many were skipped as seen.
 */
export function processOnce<T extends EventType, C = undefined>(
  options: ProcessOnceOptions<T, C>,
): Promise<{ fresh: number; skipped: number }> {
  const step = () => processOnceNow(options);
  return options.serial ? options.serial.run(step) : step();
}

async function processOnceNow<T extends EventType, C = undefined>(
  options: ProcessOnceOptions<T, C>,
): Promise<{ fresh: number; skipped: number }> {
  const { redis, namespace, stage, events } = options;
  const first = events[0];
  if (!first) return { fresh: 0, skipped: 0 };
  const watermark = watermarkKey(namespace, stage, first.topic, first.partition);
  const watermarkEvent = watermarkEventKey(namespace, stage, first.topic, first.partition);
  const inFlight = inFlightKey(namespace, stage, first.topic, first.partition);
  const [storedOffset, storedEvent, unseenIds, storedInFlight] = await Promise.all([
    redis.get(watermark),
    redis.get(watermarkEvent),
    filterUnprocessed(redis, namespace, stage, idsNeedingMarks(events)),
    options.context ? redis.get(inFlight) : Promise.resolve(null),
  ]);
  const after = storedOffset === null ? -1n : BigInt(storedOffset);
  const atWatermark = storedEvent === null ? undefined : (JSON.parse(storedEvent) as WatermarkEvent);
  const last = events[events.length - 1]!;
  const unseen = new Set(unseenIds);
  const processedHere = (event: ConsumedEvent<T>): boolean => {
    const offset = BigInt(event.offset);
    if (offset > after) return true;
    if (offset === after && atWatermark && event.envelope.id !== atWatermark.id) return false;
    if (!WATERMARK_ONLY.has(event.envelope.type)) return !unseen.has(event.envelope.id);
    return !atWatermark || Date.parse(event.envelope.ts) <= Date.parse(atWatermark.ts);
  };
  const stranger = events.find((event) => !processedHere(event));
  // Offsets are committed after every batch, so a redelivery is never this far behind either.
  if (stranger || BigInt(last.offset) + REDELIVERY_WINDOW < after) {
    const at = stranger ?? last;
    const keys = [watermarkKey, watermarkEventKey].map((key) => key(namespace, stage, at.topic, '*'));
    throw new HaltConsumerError(
      `${stage}: ${at.topic}[${at.partition}] offset ${at.offset} holds event ${at.envelope.id}, which this stage did not process ` +
        `there, under its watermark ${after}: the topic was recreated or the broker's data wiped, and going on would skip ` +
        `everything up to offset ${after}. To process the new log from its start, stop the stage, delete the Redis keys ` +
        `${keys.join(' and ')}, and start it again`,
    );
  }
  const fresh = events.filter(
    (event) =>
      BigInt(event.offset) > after &&
      // Also drops a duplicate inside the batch itself (the same id delivered twice).
      (WATERMARK_ONLY.has(event.envelope.type) || unseen.delete(event.envelope.id)),
  );
  if (fresh.length === 0) return { fresh: 0, skipped: events.length };

  const interrupted = storedInFlight === null ? null : (JSON.parse(storedInFlight) as InFlight<C>);
  const replaying = interrupted !== null && BigInt(interrupted.lastOffset) > after;
  let context = undefined as C;
  if (replaying) context = interrupted.context;
  else if (options.context) context = await options.context();

  await applyAndCommit(options, { fresh, context, replaying, interrupted, last, watermark, watermarkEvent, inFlight });
  return { fresh: fresh.length, skipped: events.length - fresh.length };
}

interface Computed<T extends EventType, C> {
  fresh: ConsumedEvent<T>[];
  context: C;
  replaying: boolean;
  interrupted: InFlight<C> | null;
  last: ConsumedEvent<T>;
  watermark: string;
  watermarkEvent: string;
  inFlight: string;
}

/** Steps 2-4 of the header, and the stage's in-memory commit. */
async function applyAndCommit<T extends EventType, C>(options: ProcessOnceOptions<T, C>, computed: Computed<T, C>): Promise<void> {
  const { redis, namespace, stage } = options;
  const { fresh, context, replaying, interrupted, last, watermark, watermarkEvent, inFlight } = computed;
  const outcome = await options.apply(fresh, context);
  const writeAhead =
    options.context && !replaying
      ? redis.set(inFlight, JSON.stringify({ lastOffset: last.offset, context } satisfies InFlight<C>))
      : undefined;
  await Promise.all([writeAhead, outcome.durable?.()]);
  if (outcome.outputs.length > 0) await options.producer.sendBatch(outcome.outputs);
  const multi = options.serial?.multi ? options.serial.multi() : redis.multi();
  outcome.persist?.(multi);
  multi.set(watermark, last.offset);
  multi.set(watermarkEvent, JSON.stringify({ id: last.envelope.id, ts: last.envelope.ts } satisfies WatermarkEvent));
  // A replay shorter than the batch it repeats leaves the context for the rest of that batch.
  if (options.context && (!replaying || BigInt(last.offset) >= BigInt(interrupted!.lastOffset))) multi.del(inFlight);
  markProcessed(multi, namespace, stage, idsNeedingMarks(fresh));
  const results = await multi.exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) {
    throw new Error(`committing ${stage} state failed: ${failed?.[0]?.message ?? 'transaction aborted: another instance of the stage committed first'}`, { cause: failed?.[0] ?? undefined });
  }
  options.committed?.();
}

function idsNeedingMarks(events: readonly ConsumedEvent[]): string[] {
  return events.filter((event) => !WATERMARK_ONLY.has(event.envelope.type)).map((event) => event.envelope.id);
}
