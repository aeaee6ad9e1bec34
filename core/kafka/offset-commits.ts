// A consumer's offset commits. The partitions of one delivery finish together, and a commit
// request each would be one write each to the group coordinator's log: those finished in the same
// turn of the event loop go in one request instead. One request is in flight at a time, so a
// partition's commits reach the coordinator in order, and one leaves at most every
// COMMIT_INTERVAL_MS: a stage handles a batch every few milliseconds under load, and a commit per
// batch was as many requests again as its fetches, for an offset that only bounds a redelivery
// (the Redis watermark, committed with each batch, is what a stage goes by). The committed offset
// so trails the handled one by at most that interval, well below what the group's lag is read at.
//
// A commit that fails (the broker restarting, the coordinator moving) is sent again until it
// succeeds, a later commit of the partition replaces it, or the partition is no longer this
// member's: the partition's last batch may be the last message it gets for a long time, and its
// committed offset is what the group's lag (and a stage that takes the partition over) reads.
import type { TopicOffsets } from 'kafkajs';

/** How long after a failed commit it is sent again. */
export const COMMIT_RETRY_MS = 1_000;

/** The least time between two commit requests; a commit after a quiet spell leaves at once. */
export const COMMIT_INTERVAL_MS = 50;

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The last offset handled; the commit names the next one. */
  lastOffset: string;
}

export class OffsetCommits {
  private pending = new Map<string, CommittedOffset>();
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private retry?: NodeJS.Timeout;
  private closed = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** Sends one commit request; offsets name the next offset to read, grouped by topic. */
    private readonly send: (topics: TopicOffsets[]) => Promise<void>,
    private readonly onCommitted: (offsets: CommittedOffset[]) => void,
    /** A request failed; its offsets are sent again after `retryMs` unless replaced or dropped. */
    private readonly onFailed: (error: unknown, offsets: CommittedOffset[]) => void,
    private readonly retryMs = COMMIT_RETRY_MS,
    private readonly intervalMs = COMMIT_INTERVAL_MS,
  ) {}

  /** Queues a commit; a later one for the same partition before the request leaves replaces it. */
  add(offset: CommittedOffset): void {
    this.pending.set(`${offset.topic}:${offset.partition}`, offset);
    this.schedule();
  }

  /** After a rebalance: failed commits of partitions not assigned to this member any more are dropped. */
  retainOnly(assigned: (topic: string, partition: number) => boolean): void {
    for (const [key, { topic, partition }] of this.pending) if (!assigned(topic, partition)) this.pending.delete(key);
  }

  /** No more requests: a commit waiting for its retry is dropped (the watermark drops its redelivery). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.scheduled = true;
    // After the request in flight, if any, and the interval since it left.
    this.chain = this.chain
      .then(() => {
        const wait = this.lastSentAt + this.intervalMs - Date.now();
        return new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
      })
      .then(() => this.flush());
  }

  /** Resolves once every commit queued so far was answered (or failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    if (offsets.length === 0) return;
    try {
      const byTopic = new Map<string, TopicOffsets>();
      for (const { topic, partition, lastOffset } of offsets) {
        let entry = byTopic.get(topic);
        if (!entry) byTopic.set(topic, (entry = { topic, partitions: [] }));
        entry.partitions.push({ partition, offset: (BigInt(lastOffset) + 1n).toString() });
      }
      this.lastSentAt = Date.now();
      await this.send([...byTopic.values()]);
      this.onCommitted(offsets);
    } catch (error) {
      this.onFailed(error, offsets);
      // Sent again unless a later commit of the partition came meanwhile.
      for (const offset of offsets) {
        const key = `${offset.topic}:${offset.partition}`;
        if (!this.pending.has(key)) this.pending.set(key, offset);
      }
      if (!this.closed && !this.scheduled) {
        this.retry = setTimeout(() => this.schedule(), this.retryMs);
        this.retry.unref();
      }
    }
  }
}
