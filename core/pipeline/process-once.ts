// The one effectively-once step every pipeline stage runs per batch (DESIGN: "a consumer records
// an event id as processed in the same step that makes its effect durable"):
//   1. drop events whose ids this stage already processed (Redis dedup);
//   2. compute outputs (with ids derived from their cause, see core/domain/ids.ts) and effects;
//   3. make idempotent external effects durable (Postgres rows keyed by event id), produce outputs;
//   4. commit the stage's Redis state and the dedup marks in ONE MULTI;
// and only then does the consumer commit offsets. A crash between 3 and 4 replays the batch from
// the old state: the same outputs with the same ids are produced again and the next stage's dedup
// drops them; Postgres inserts are no-ops. A crash after 4 replays nothing: the ids are marked.
import type { ChainableCommander, Redis } from 'ioredis';
import type { EventType } from '../domain/events';
import type { ConsumedEvent } from '../kafka/consumer';
import type { EventMessage, EventProducer } from '../kafka/producer';
import { filterUnprocessed, markProcessed } from '../redis/dedup';
import type { KeyNamespace } from '../redis/keys';

export interface BatchOutcome {
  /** Events to produce; their envelope ids must be derived from their causes. */
  outputs: EventMessage[];
  /** Idempotent durable effects outside Redis (e.g. Postgres upserts), run before producing. */
  durable?: () => Promise<void>;
  /** Adds the stage's new Redis state to the MULTI that also marks the events processed. */
  persist?: (multi: ChainableCommander) => void;
}

export interface ProcessOnceOptions<T extends EventType> {
  redis: Redis;
  namespace: KeyNamespace;
  /** The stage's name: dedup marks are per stage, each stage sees every event once. */
  stage: string;
  producer: Pick<EventProducer, 'sendBatch'>;
  events: readonly ConsumedEvent<T>[];
  /** Pure with respect to the stage's committed state: called only with unseen events. */
  apply: (fresh: ConsumedEvent<T>[]) => BatchOutcome | Promise<BatchOutcome>;
}

/** Returns how many events were new (processed now) and how many were skipped as seen. */
export async function processOnce<T extends EventType>(options: ProcessOnceOptions<T>): Promise<{ fresh: number; skipped: number }> {
  const { redis, namespace, stage, events } = options;
  const unseen = new Set(await filterUnprocessed(redis, namespace, stage, events.map((event) => event.envelope.id)));
  // Also drops a duplicate inside the batch itself (the same id delivered twice).
  const fresh = events.filter((event) => unseen.delete(event.envelope.id));
  if (fresh.length === 0) return { fresh: 0, skipped: events.length };

  const outcome = await options.apply(fresh);
  await outcome.durable?.();
  if (outcome.outputs.length > 0) await options.producer.sendBatch(outcome.outputs);
  const multi = redis.multi();
  outcome.persist?.(multi);
  markProcessed(multi, namespace, stage, fresh.map((event) => event.envelope.id));
  const results = await multi.exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw new Error(`committing ${stage} state failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  return { fresh: fresh.length, skipped: events.length - fresh.length };
}
