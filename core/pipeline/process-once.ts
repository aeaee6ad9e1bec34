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
import type { ChainableCommander, Redis } from 'ioredis';
import type { EventType } from '../domain/events';
import type { ConsumedEvent } from '../kafka/consumer';
import type { EventMessage, EventProducer } from '../kafka/producer';
import { filterUnprocessed, markProcessed } from '../redis/dedup';
import { namespacedKey, type KeyNamespace } from '../redis/keys';

/** Event types that are only ever produced once (never re-emitted by a replaying stage). */
const WATERMARK_ONLY: ReadonlySet<EventType> = new Set(['tick_received']);

/** More than any batch a consumer can have in flight between two offset commits. */
const REDELIVERY_WINDOW = 100_000n;

const watermarkKey = (namespace: KeyNamespace, stage: string, topic: string, partition: number) =>
  namespacedKey(namespace, 'watermark', stage, topic, partition);

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
}

/**
 * `events` are one partition's batch, in offset order (as runEventConsumer delivers them).
 * Returns how many events were new (processed now) and how many were skipped as seen.
 */
export async function processOnce<T extends EventType, C = undefined>(
  options: ProcessOnceOptions<T, C>,
): Promise<{ fresh: number; skipped: number }> {
  const { redis, namespace, stage, events } = options;
  const first = events[0];
  if (!first) return { fresh: 0, skipped: 0 };
  const watermark = watermarkKey(namespace, stage, first.topic, first.partition);
  const inFlight = inFlightKey(namespace, stage, first.topic, first.partition);
  const [storedOffset, unseenIds, storedInFlight] = await Promise.all([
    redis.get(watermark),
    filterUnprocessed(redis, namespace, stage, idsNeedingMarks(events)),
    options.context ? redis.get(inFlight) : Promise.resolve(null),
  ]);
  const after = storedOffset === null ? -1n : BigInt(storedOffset);
  const last = events[events.length - 1]!;
  if (BigInt(last.offset) + REDELIVERY_WINDOW < after) {
    // Offsets are committed after every batch, so a redelivery is never this far behind: the
    // topic was recreated. Skipping silently would drop every message; stop loudly instead.
    throw new Error(
      `${stage}: ${first.topic}[${first.partition}] offset ${last.offset} is far behind the processed watermark ${after}; ` +
        `if the topic was recreated, delete Redis key ${watermark} to process it again`,
    );
  }
  const unseen = new Set(unseenIds);
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

  const outcome = await options.apply(fresh, context);
  const writeAhead =
    options.context && !replaying
      ? redis.set(inFlight, JSON.stringify({ lastOffset: last.offset, context } satisfies InFlight<C>))
      : undefined;
  await Promise.all([writeAhead, outcome.durable?.()]);
  if (outcome.outputs.length > 0) await options.producer.sendBatch(outcome.outputs);
  const multi = redis.multi();
  outcome.persist?.(multi);
  multi.set(watermark, last.offset);
  // A replay shorter than the batch it repeats leaves the context for the rest of that batch.
  if (options.context && (!replaying || BigInt(last.offset) >= BigInt(interrupted.lastOffset))) multi.del(inFlight);
  markProcessed(multi, namespace, stage, idsNeedingMarks(fresh));
  const results = await multi.exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw new Error(`committing ${stage} state failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  return { fresh: fresh.length, skipped: events.length - fresh.length };
}

function idsNeedingMarks(events: readonly ConsumedEvent[]): string[] {
  return events.filter((event) => !WATERMARK_ONLY.has(event.envelope.type)).map((event) => event.envelope.id);
}
