// A stage's critical section when it handles several partitions at once (kafkajs
// partitionsConsumedConcurrently): each stage keeps one committed in-memory state and computes a
// batch from it, so two batches computed side by side would both start from the same state and
// the second commit would drop the first's changes. processOnce runs apply, the durable effects,
// the produce and the Redis commit of a batch, and the stage's in-memory commit, one batch at a
// time through this; what only reads (the watermark and dedup marks, the context) and the
// consumer's offset commits overlap.
export class Serial {
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
