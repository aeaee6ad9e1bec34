// Consumer lag: how far a consumer group's committed offsets are behind the end of each partition.
import type { Kafka } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The next offset the group will read; null when it has committed nothing yet. */
  committedOffset: string | null;
  /** The offset the next produced message will get. */
  highWatermark: string;
  lag: number;
}

/**
 * Messages between the committed offset and the high watermark. A group that has committed
 * nothing has everything still on the log (from the low watermark) ahead of it.
 */
export function partitionLag(committed: string, high: string, low: string): number {
  const committedOffset = BigInt(committed);
  const start = committedOffset < 0n ? BigInt(low) : committedOffset;
  const lag = BigInt(high) - start;
  return Number(lag < 0n ? 0n : lag);
}

export async function consumerLag(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  if (topics.length === 0) return [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    const result: PartitionLag[] = [];
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const byPartition = new Map(committed.find((entry) => entry.topic === topic)?.partitions.map((p) => [p.partition, p.offset]));
      for (const end of [...ends].sort((a, b) => a.partition - b.partition)) {
        const offset = byPartition.get(end.partition) ?? '-1';
        result.push({
          topic,
          partition: end.partition,
          committedOffset: BigInt(offset) < 0n ? null : offset,
          highWatermark: end.high,
          lag: partitionLag(offset, end.high, end.low),
        });
      }
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}
