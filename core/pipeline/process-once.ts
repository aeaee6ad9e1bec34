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
// A batch may span several partitions (the consumer delivers the partitions fetched together as one
// batch, see core/kafka/consumer.ts); each partition keeps its log order, and the partitions are
// interleaved by event time (event-order.ts), so the order is a function of the events alone.
//
// A replay recomputes from the same state and events, so it repeats the outputs exactly as long as
// it is made of the same events and the stage decides from those alone. So before a batch
// produces anything, what it covers is written ahead to Redis: the last offset of each of its
// partitions, and its context, what it read from elsewhere (the kill switch). That record is
// written by the script that reads the context, in the batch's first round trip (batch-claim.ts),
// and by a write of its own only when other records are in flight. A later delivery that holds
// events of an interrupted batch replays exactly those first, with the context the batch was
// first computed with, and goes on with the rest afterwards; the commit of the batch removes the
// record. (A replay that finds only some of the batch's partitions, after a rebalance moved the
// others to another instance, replays the part it has; the record stays for the rest.)
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
import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { EventType } from '../domain/events';
import type { ConsumedEvent } from '../kafka/consumer';
import { HaltConsumerError } from '../kafka/failures';
import type { EventMessage, EventProducer } from '../kafka/producer';
import { recordStageStep, type StageStep } from '../metrics/stage-timings';
import { filterUnprocessed, markProcessed } from '../redis/dedup';
import { namespacedKey, type KeyNamespace } from '../redis/keys';
import { claimBatch, contextValues, inFlightKey, type BatchContext, type Claim, type ContextValue, type InFlightRecord } from './batch-claim';
import { byPartition, interleaveByTime, type PartitionEvents } from './event-order';
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
   * What the batch depends on besides the committed state and the events. Read with the
   * watermarks for every batch and recorded with it; an interrupted batch being replayed gets
   * the context it was first computed with.
   */
  context?: BatchContext<C>;
  /**
   * Pure with respect to the stage's committed state and the context: called only with unseen
   * events, in the order of event-order.ts. Called twice for a delivery that holds an interrupted
   * batch (the replay, then the rest), each call followed by its commit, in turns of its own.
   */
  apply: (fresh: ConsumedEvent<T>[], context: C) => BatchOutcome | Promise<BatchOutcome>;
  /**
   * The stage's critical section (see serial.ts and stage-lock.ts): the whole step, from reading
   * the watermarks to the Redis commit and `committed`, runs inside it, so that a batch another
   * instance committed meanwhile is seen as processed. Its MULTI, when it has one, is the commit's.
   */
  serial?: CriticalSection;
  /** Called once each Redis commit succeeded (inside `serial`): the in-memory commit. */
  committed?: () => void;
}

/**
 * `events` are one or more partitions' batches, each in offset order (as runEventConsumer
 * delivers them). Returns how many events were new (processed now) and how many were skipped as seen.
 */
export function processOnce<T extends EventType, C = undefined>(
  options: ProcessOnceOptions<T, C>,
): Promise<{ fresh: number; skipped: number }> {
  const partitions = byPartition(options.events);
  // The claims this call's reads wrote. The stage lock may read again before the step runs (after
  // taking the lock again, or reloading the state), and the step uses its last read: an earlier
  // read's claim was computed from by no one, so the step removes it instead of replaying it.
  let claims: string[] = [];
  const read = async () => {
    const stored = await readStored(options, partitions);
    if (stored.claim.claimed) claims.push(stored.claim.id);
    return stored;
  };
  let turnStartedAt = 0;
  const step = (stored: Stored) => {
    recordStageStep(options.namespace, options.stage, 'lock-and-reads', Date.now() - turnStartedAt);
    const abandoned = claims.filter((id) => id !== stored.claim.id);
    claims = [];
    return processOnceNow(options, partitions, stored, abandoned);
  };
  const once = () => {
    turnStartedAt = Date.now();
    if (!options.serial) return read().then(step);
    const withoutReads = mayGoWithoutReads(options) ? () => turnWithoutReads(options, partitions, turnStartedAt) : undefined;
    return options.serial.run(step, read, withoutReads);
  };
  // One commit per turn of the critical section (the stage lock fences one commit per turn): a
  // delivery holding an interrupted batch takes a turn for the replay, then one for the rest.
  return (async () => {
    let fresh = 0;
    for (;;) {
      const done = await once();
      fresh += done.fresh;
      if (!done.more) return { fresh, skipped: options.events.length - fresh };
    }
  })();
}

/**
 * Whether a delivery may be processed without the step's reads (see stage-lock.ts): the stage
 * reads no context, and its events are all of the kind checked by watermark alone (ticks).
 */
function mayGoWithoutReads<T extends EventType, C>(options: ProcessOnceOptions<T, C>): boolean {
  return (
    options.context === undefined &&
    options.serial?.watermarks !== undefined &&
    options.serial.writeAhead !== undefined &&
    options.events.every((event) => WATERMARK_ONLY.has(event.envelope.type))
  );
}

/**
 * A turn without reads: every event past the watermark this instance knows for its partition, so
 * all of them are new; declined (undefined) if one is not, before anything is computed.
 */
async function turnWithoutReads<T extends EventType, C>(
  options: ProcessOnceOptions<T, C>,
  partitions: readonly PartitionEvents<ConsumedEvent<T>>[],
  turnStartedAt: number,
): Promise<{ fresh: number; more: boolean } | undefined> {
  const known = options.serial!.watermarks!;
  const past = (p: PartitionEvents<ConsumedEvent<T>>) => {
    const watermark = known.get(p.key);
    return watermark !== undefined && BigInt(p.events[0]!.offset) > watermark;
  };
  if (partitions.length === 0 || !partitions.every(past)) return undefined;
  recordStageStep(options.namespace, options.stage, 'lock', Date.now() - turnStartedAt);
  const parts = partitions.map((partition) => ({ partition, fresh: partition.events, through: partition.events.at(-1)! }));
  await applyAndCommit(options, parts, { record: 'unread', context: undefined as C, settled: [] });
  return { fresh: options.events.length, more: false };
}

/** What the step reads before computing: one round trip (sent with the stage lock's own reads). */
interface Stored {
  /** Per partition, its watermark and the event recorded at it. */
  watermarks: (string | null)[];
  unseenIds: string[];
  /** The records in flight before this batch's claim; the claim's id when it was written. */
  claim: Claim & { id: string };
}

async function readStored<T extends EventType, C>(options: ProcessOnceOptions<T, C>, partitions: readonly PartitionEvents[]): Promise<Stored> {
  const { redis, namespace, stage } = options;
  const id = batchIdNow();
  if (partitions.length === 0) return { watermarks: [], unseenIds: [], claim: { pending: {}, values: [], claimed: false, id } };
  const members = Object.fromEntries(partitions.map((p) => [p.key, p.events.at(-1)!.offset]));
  const [watermarks, unseenIds, claim] = await Promise.all([
    redis.mget(partitions.flatMap((p) => [watermarkKey(namespace, stage, p.topic, p.partition), watermarkEventKey(namespace, stage, p.topic, p.partition)])),
    filterUnprocessed(redis, namespace, stage, idsNeedingMarks(options.events)),
    claimBatch(redis, inFlightKey(namespace, stage), id, members, options.context?.reads ?? []),
  ]);
  return { watermarks, unseenIds, claim: { ...claim, id } };
}

/** How a step's batch stands to its write-ahead record. */
type Batch<C> = { context: C; settled: string[] } & (
  /** An interrupted batch, replayed: `finished` when this replay completes it. */
  | { record: 'replayed'; id: string; finished: boolean }
  /** Its record was written with the reads. */
  | { record: 'claimed'; id: string }
  /** It is written ahead once the batch has outputs. */
  | { record: 'unwritten'; reads: ContextValue[] }
  /** A turn without reads: written ahead under the fence of the last commit once it has outputs. */
  | { record: 'unread' }
);

/** A record written before contexts were recorded as their reads' values holds the context itself. */
const contextOf = <C>(options: Pick<ProcessOnceOptions<EventType, C>, 'context'>, record: InFlightRecord | { context: C }): C =>
  'reads' in record ? parseContext(options, contextValues(record.reads)) : record.context;

const parseContext = <C>(options: Pick<ProcessOnceOptions<EventType, C>, 'context'>, values: readonly ContextValue[]): C =>
  options.context ? options.context.parse(values) : (undefined as C);

/** One partition's part of a step: the events it applies, and the event its watermark moves to. */
interface StepPart<T extends EventType> {
  partition: PartitionEvents<ConsumedEvent<T>>;
  fresh: ConsumedEvent<T>[];
  through: ConsumedEvent<T>;
}

async function processOnceNow<T extends EventType, C = undefined>(
  options: ProcessOnceOptions<T, C>,
  partitions: readonly PartitionEvents<ConsumedEvent<T>>[],
  { watermarks: stored, unseenIds, claim }: Stored,
  abandoned: readonly string[],
): Promise<{ fresh: number; more: boolean }> {
  if (partitions.length === 0) return { fresh: 0, more: false };
  const unseen = new Set(unseenIds);
  let remaining = partitions.map((p, index) => ({ partition: p, fresh: freshOf(options, p, stored[2 * index] ?? null, stored[2 * index + 1] ?? null, unseen) }));
  // Records with nothing left to replay (one claimed for a delivery of duplicates, before a crash
  // kept its removal from running), and abandoned claims: removed with this step's commit.
  const settled = [...abandoned];
  if (remaining.every((part) => part.fresh.length === 0)) {
    const unused = claim.claimed ? [claim.id, ...settled] : settled;
    if (unused.length > 0) await options.redis.hdel(inFlightKey(options.namespace, options.stage), ...unused);
    return { fresh: 0, more: false };
  }

  // Interrupted batches first, each exactly as it was (see the header), the oldest record first.
  const interruptedBatches = Object.entries(claim.pending).filter(([id]) => !abandoned.includes(id));
  for (const [id, raw] of interruptedBatches.sort(([a], [b]) => (a < b ? -1 : 1))) {
    const interrupted = JSON.parse(raw) as InFlightRecord | { members: InFlightRecord['members']; context: C };
    const replay: StepPart<T>[] = [];
    remaining = remaining.map(({ partition, fresh: unapplied }) => {
      const lastOffset = interrupted.members[partition.key];
      if (lastOffset === undefined) return { partition, fresh: unapplied };
      const within = (event: ConsumedEvent<T>) => BigInt(event.offset) <= BigInt(lastOffset);
      const taken = unapplied.filter(within);
      if (taken.length > 0) replay.push({ partition, fresh: taken, through: partition.events.filter(within).at(-1)! });
      return { partition, fresh: unapplied.filter((event) => !within(event)) };
    });
    if (replay.length === 0) {
      // Settled when every partition of it is in this delivery, at or below its watermark.
      const watermarkOf = (key: string) => {
        const index = partitions.findIndex((p) => p.key === key);
        return index < 0 || stored[2 * index] == null ? -1n : BigInt(stored[2 * index]!);
      };
      if (Object.entries(interrupted.members).every(([key, lastOffset]) => watermarkOf(key) >= BigInt(lastOffset))) settled.push(id);
      continue;
    }
    const finished = await finishesBatch(options, interrupted, replay);
    await applyAndCommit(options, replay, { record: 'replayed', id, finished, context: contextOf(options, interrupted), settled });
    // The rest in a turn of its own, read afresh.
    const replayed = replay.reduce((sum, part) => sum + part.fresh.length, 0);
    return { fresh: replayed, more: remaining.some((part) => part.fresh.length > 0) };
  }
  const rest = remaining.filter((part) => part.fresh.length > 0).map((part) => ({ ...part, through: part.partition.events.at(-1)! }));
  const context = parseContext(options, claim.values);
  await applyAndCommit(options, rest, claim.claimed ? { record: 'claimed', id: claim.id, context, settled } : { record: 'unwritten', reads: claim.values, context, settled });
  return { fresh: rest.reduce((sum, part) => sum + part.fresh.length, 0), more: false };
}

/** Checks what is at or below the partition's watermark, and returns what is new. */
function freshOf<T extends EventType>(
  options: Pick<ProcessOnceOptions<T, unknown>, 'namespace' | 'stage'>,
  partition: PartitionEvents<ConsumedEvent<T>>,
  storedOffset: string | null,
  storedEvent: string | null,
  unseen: Set<string>,
): ConsumedEvent<T>[] {
  const { namespace, stage } = options;
  const { events } = partition;
  const after = storedOffset === null ? -1n : BigInt(storedOffset);
  const atWatermark = storedEvent === null ? undefined : (JSON.parse(storedEvent) as WatermarkEvent);
  const last = events[events.length - 1]!;
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
  return events.filter(
    (event) =>
      BigInt(event.offset) > after &&
      // Also drops a duplicate inside the batch itself (the same id delivered twice).
      (WATERMARK_ONLY.has(event.envelope.type) || unseen.delete(event.envelope.id)),
  );
}

/** Whether committing `replay` completes the interrupted batch: every partition of it through its last offset. */
async function finishesBatch<T extends EventType, C>(
  options: ProcessOnceOptions<T, C>,
  interrupted: Pick<InFlightRecord, 'members'>,
  replay: readonly StepPart<T>[],
): Promise<boolean> {
  const reached = new Map(replay.map((part) => [part.partition.key, BigInt(part.through.offset)]));
  const absent = Object.keys(interrupted.members).filter((key) => !reached.has(key));
  // A partition of the batch not in this delivery: done if its watermark is already past it.
  const marks = absent.length === 0 ? [] : await options.redis.mget(absent.map((key) => watermarkOfKey(options, key)));
  absent.forEach((key, index) => reached.set(key, marks[index] === null ? -1n : BigInt(marks[index]!)));
  return Object.entries(interrupted.members).every(([key, lastOffset]) => reached.get(key)! >= BigInt(lastOffset));
}

function watermarkOfKey(options: Pick<ProcessOnceOptions<EventType, unknown>, 'namespace' | 'stage'>, key: string): string {
  const at = key.lastIndexOf(':');
  return watermarkKey(options.namespace, options.stage, key.slice(0, at), Number(key.slice(at + 1)));
}

/** Steps 2-4 of the header for one step's parts, and the stage's in-memory commit. */
async function applyAndCommit<T extends EventType, C>(options: ProcessOnceOptions<T, C>, parts: readonly StepPart<T>[], batch: Batch<C>): Promise<void> {
  const { redis, namespace, stage } = options;
  const fresh = interleaveByTime(parts.map((part) => ({ ...part.partition, events: part.fresh })));
  let stepStartedAt = Date.now();
  const stepDone = (name: StageStep) => {
    const now = Date.now();
    recordStageStep(namespace, stage, name, now - stepStartedAt);
    stepStartedAt = now;
  };
  const outcome = await options.apply(fresh, batch.context);
  stepDone('apply');
  const inFlight = inFlightKey(namespace, stage);
  // A batch whose record the reads did not write (others were in flight, or it had no reads)
  // writes it now, and only when something leaves the stage: one that crashes before its commit
  // with no outputs left no trace to repeat.
  const writtenAhead = (batch.record === 'unwritten' || batch.record === 'unread') && outcome.outputs.length > 0 ? batchIdNow() : undefined;
  const record = (reads: ContextValue[]) => JSON.stringify({ members: Object.fromEntries(parts.map((part) => [part.partition.key, part.through.offset])), reads } satisfies InFlightRecord);
  let writeAhead: Promise<unknown> | undefined;
  if (writtenAhead && batch.record === 'unread') writeAhead = options.serial!.writeAhead!(writtenAhead, record([]));
  if (writtenAhead && batch.record === 'unwritten') writeAhead = redis.hset(inFlight, writtenAhead, record(batch.reads));
  await Promise.all([writeAhead, outcome.durable?.()]);
  if (writeAhead || outcome.durable) stepDone('durable');
  if (outcome.outputs.length > 0) {
    await options.producer.sendBatch(outcome.outputs);
    stepDone('produce');
  }
  const multi = options.serial?.multi ? options.serial.multi() : redis.multi();
  outcome.persist?.(multi);
  for (const { partition, through } of parts) {
    multi.set(watermarkKey(namespace, stage, partition.topic, partition.partition), through.offset);
    multi.set(
      watermarkEventKey(namespace, stage, partition.topic, partition.partition),
      JSON.stringify({ id: through.envelope.id, ts: through.envelope.ts } satisfies WatermarkEvent),
    );
  }
  // A replay shorter than the batch it repeats leaves the record for the rest of that batch.
  const done = [...batch.settled];
  if (batch.record === 'claimed' || (batch.record === 'replayed' && batch.finished)) done.push(batch.id);
  if (writtenAhead) done.push(writtenAhead);
  if (done.length > 0) multi.hdel(inFlight, ...done);
  markProcessed(multi, namespace, stage, idsNeedingMarks(fresh));
  const results = await multi.exec();
  stepDone('commit');
  const failed = results?.find(([error]) => error);
  if (!results || failed) {
    throw new Error(`committing ${stage} state failed: ${failed?.[0]?.message ?? 'transaction aborted: another instance of the stage committed first'}`, { cause: failed?.[0] ?? undefined });
  }
  for (const { partition, through } of parts) options.serial?.watermarks?.set(partition.key, BigInt(through.offset));
  options.committed?.();
}

/** Record ids that sort by the time they were written, so that the oldest interrupted batch replays first. */
const batchIdNow = () => `${Date.now().toString().padStart(15, '0')}-${randomUUID()}`;

function idsNeedingMarks(events: readonly ConsumedEvent[]): string[] {
  return events.filter((event) => !WATERMARK_ONLY.has(event.envelope.type)).map((event) => event.envelope.id);
}
