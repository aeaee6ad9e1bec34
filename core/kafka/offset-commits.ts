// A consumer's offset commits. The partitions of one delivery finish together, and a commit
// request each would be one write each to the group coordinator's log: those finished in the same
// turn of the event loop go in one request instead. One request is in flight at a time, so a
// partition's commits reach the coordinator in order.
import type { TopicOffsets } from 'kafkajs';

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

  constructor(
    /** Sends one commit request; offsets name the next offset to read, grouped by topic. */
    private readonly send: (topics: TopicOffsets[]) => Promise<void>,
    private readonly onCommitted: (offsets: CommittedOffset[]) => void,
    private readonly onFailed: (error: unknown, offsets: CommittedOffset[]) => void,
  ) {}

  /** Queues a commit; a later one for the same partition before the request leaves replaces it. */
  add(offset: CommittedOffset): void {
    this.pending.set(`${offset.topic}:${offset.partition}`, offset);
    if (this.scheduled) return;
    this.scheduled = true;
    this.chain = this.chain.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.flush());
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
      await this.send([...byTopic.values()]);
      this.onCommitted(offsets);
    } catch (error) {
      this.onFailed(error, offsets);
    }
  }
}
