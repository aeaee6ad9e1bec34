// A stage's critical section within one process: each stage keeps one committed in-memory state
// and computes a batch from it, so two batches computed side by side would both start from the
// same state and the second commit would drop the first's changes. processOnce runs a batch's
// whole step (the dedup reads, apply, the durable effects, the produce, the Redis commit and the
// in-memory commit) one batch at a time through this; the consumer's offset commits overlap.
// Across the instances of a stage, StageLock (stage-lock.ts) is the critical section.
import type { ChainableCommander } from 'ioredis';

export interface CriticalSection {
  /**
   * Runs `work` alone; `prefetch`, reads independent of the stage's memory, may be sent early (see
   * StageLock). A section that can fence a turn without reads (StageLock) first tries
   * `withoutReads`, which returns undefined when it declines, having done nothing.
   */
  run<T, R = undefined>(work: (prefetched: R) => Promise<T>, prefetch?: () => Promise<R>, withoutReads?: () => Promise<T | undefined>): Promise<T>;
  /** The MULTI a commit inside run() must use, when the section fences commits (StageLock). */
  multi?(): ChainableCommander;
  /**
   * Each partition's watermark (`<topic>:<partition>` -> offset) as this instance last committed
   * it, kept by processOnce for its turns without reads: the section empties it whenever another
   * instance may have committed since.
   */
  readonly watermarks?: Map<string, bigint>;
  /**
   * Inside a turn without reads: writes a batch's record in flight (field `batchId`), unless
   * another instance committed or wrote a record since this instance's last commit; throws then.
   */
  writeAhead?(batchId: string, record: string): Promise<void>;
}

export class Serial implements CriticalSection {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every earlier call's work has settled, whether it succeeded or not. */
  run<T, R = undefined>(work: (prefetched: R) => Promise<T>, prefetch?: () => Promise<R>): Promise<T> {
    const step = async () => work((await prefetch?.()) as R);
    const result = this.tail.then(step, step);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Partitions a stage handles at once: more than any stage has inputs (the runner has 27), so that
 * every partition a fetch brought is delivered in one batch (core/kafka/coalescer.ts) and pays the
 * stage's commit once. processOnce applies such a batch in an order made from the events alone
 * (event-order.ts) and replays an interrupted one exactly, so the order the partitions were
 * fetched in changes nothing.
 */
export const STAGE_PARTITIONS_CONCURRENTLY = 64;
