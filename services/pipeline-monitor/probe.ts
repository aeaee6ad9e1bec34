// Reads what the monitor needs from the broker, cheaply: the end offsets of every topic (two
// ListOffsets requests each, no message is fetched) and the committed offsets of each group
// (one OffsetFetch each), over one admin connection kept for the monitor's lifetime. Lag is
// computed from the same reading with core/kafka/lag.ts, so every group is measured against the
// same end offsets.
import type { Admin } from 'kafkajs';
import { partitionLag } from '../../core/kafka/lag';

export interface PartitionEnds {
  partition: number;
  /** The offset the next message will get. */
  high: string;
  /** The oldest offset still on the log. */
  low: string;
}

export interface OffsetsReading {
  ends: Map<string, PartitionEnds[]>;
  /** group -> topic -> partition -> committed offset ('-1' when none). */
  committed: Map<string, Map<string, Map<number, string>>>;
}

export interface GroupLag {
  total: number;
  byTopic: Record<string, number>;
  /** Sum of the committed offsets: moves whenever the group commits progress. */
  position: string;
}

export async function readOffsets(
  admin: Admin,
  topics: readonly string[],
  groups: readonly { group: string; topics: readonly string[] }[],
): Promise<OffsetsReading> {
  const [ends, committed] = await Promise.all([
    Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const)),
    Promise.all(
      groups.map(async ({ group, topics: groupTopics }) => {
        const offsets = await admin.fetchOffsets({ groupId: group, topics: [...groupTopics] });
        const byTopic = new Map(offsets.map((entry) => [entry.topic, new Map(entry.partitions.map((p) => [p.partition, p.offset]))]));
        return [group, byTopic] as const;
      }),
    ),
  ]);
  return {
    ends: new Map(ends.map(([topic, partitions]) => [topic, partitions.map(({ partition, high, low }) => ({ partition, high, low }))])),
    committed: new Map(committed),
  };
}

/** Messages on the topic now (sum of end offsets: everything ever written to it). */
export function endOffset(reading: OffsetsReading, topic: string): number {
  return (reading.ends.get(topic) ?? []).reduce((sum, p) => sum + Number(p.high), 0);
}

/** Messages still on the log (end minus start offsets): for a dead-letter topic, its letters. */
export function retainedMessages(reading: OffsetsReading, topic: string): number {
  return (reading.ends.get(topic) ?? []).reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
}

export function groupLag(reading: OffsetsReading, group: string, topics: readonly string[]): GroupLag {
  const committed = reading.committed.get(group);
  const byTopic: Record<string, number> = {};
  let total = 0;
  let position = 0n;
  for (const topic of topics) {
    const offsets = committed?.get(topic);
    let lag = 0;
    for (const end of reading.ends.get(topic) ?? []) {
      const offset = offsets?.get(end.partition) ?? '-1';
      lag += partitionLag(offset, end.high, end.low);
      if (BigInt(offset) > 0n) position += BigInt(offset);
    }
    byTopic[topic] = lag;
    total += lag;
  }
  return { total, byTopic, position: position.toString() };
}
