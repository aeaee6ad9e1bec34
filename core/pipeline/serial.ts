// A stage's critical section within one process: each stage keeps one committed in-memory state
// and computes a batch from it, so two batches computed side by side would both start from the
// same state and the second commit would drop the first's changes. processOnce runs a batch's
// whole step (the dedup reads, apply, the durable effects, the produce, the Redis commit and the
// in-memory commit) one batch at a time through this; the consumer's offset commits overlap.
// Across the instances of a stage, StageLock (stage-lock.ts) is the critical section.
import type { ChainableCommander } from 'ioredis';

export interface CriticalSection {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The MULTI a commit inside run() must use, when the section fences commits (StageLock). */
  multi?(): ChainableCommander;
}

export class Serial implements CriticalSection {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every earlier call's work has settled, whether it succeeded or not. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Partitions a stage handles at once; its batches go through its Serial (see above). One for now:
 * with four, which partition's batch enters the critical section first depends on timing, so a
 * run replayed after a crash could interleave signals and ticks differently and fill at another
 * price (seen once in test/pipeline-crash.test.ts). Raise it once a stage's state is split so
 * that the order across partitions no longer matters.
 */
export const STAGE_PARTITIONS_CONCURRENTLY = 1;
