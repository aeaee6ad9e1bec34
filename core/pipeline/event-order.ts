// The order in which a stage applies a delivery that spans several partitions. Within a partition
// the log's order is kept; across partitions the events are interleaved by their envelope time,
// ties broken by topic and partition. It is a function of the events alone, so a batch replayed
// after a crash, made of the same events, is applied in the order of its first attempt whatever
// order its partitions were fetched in.
import type { ConsumedEvent } from '../kafka/consumer';

export interface PartitionEvents<E extends ConsumedEvent = ConsumedEvent> {
  topic: string;
  partition: number;
  /** `<topic>:<partition>` */
  key: string;
  /** In offset order. */
  events: E[];
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** The events of each topic-partition, in the order they came (offset order). */
export function byPartition<E extends ConsumedEvent>(events: readonly E[]): PartitionEvents<E>[] {
  const groups = new Map<string, PartitionEvents<E>>();
  for (const event of events) {
    const key = partitionKey(event.topic, event.partition);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { topic: event.topic, partition: event.partition, key, events: [] }));
    group.events.push(event);
  }
  return [...groups.values()];
}

/** Merges partitions' events by envelope time, keeping each partition's own order. */
export function interleaveByTime<E extends ConsumedEvent>(partitions: readonly PartitionEvents<E>[]): E[] {
  const lists = [...partitions].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((p) => p.events);
  if (lists.length === 1) return [...lists[0]!];
  const times = lists.map((list) => list.map((event) => Date.parse(event.envelope.ts)));
  const heads = lists.map(() => 0);
  const merged: E[] = [];
  for (;;) {
    let next = -1;
    for (let i = 0; i < lists.length; i++) {
      if (heads[i]! < lists[i]!.length && (next < 0 || times[i]![heads[i]!]! < times[next]![heads[next]!]!)) next = i;
    }
    if (next < 0) return merged;
    merged.push(lists[next]![heads[next]!++]!);
  }
}
