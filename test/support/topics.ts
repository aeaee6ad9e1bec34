// Reading real topics in tests: wait for a consumer group to commit everything, and collect a
// topic's messages from its start.
import { BROKER_RETRY } from '../../core/kafka/client';
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { waitFor } from './temporal';

/** Waits until the group has committed every message of these topics. */
export async function waitConsumed(admin: Admin, groupId: string, topics: readonly string[]): Promise<void> {
  await waitFor(async () => {
    for (const topic of topics) {
      const high = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const p of high) {
        const done = committed!.partitions.find((c) => c.partition === p.partition)?.offset ?? '-1';
        if (p.high !== '0' && BigInt(done) < BigInt(p.high)) return false;
      }
    }
    return true;
  }, `${groupId} to consume ${topics.join(', ')}`);
}

export interface TopicCollector {
  /** Everything on the topic up to its end as of this call. */
  read(): Promise<{ partition: number; message: KafkaMessage }[]>;
  stop(): Promise<void>;
}

/** Reads a topic from its start with its own consumer group (`groupId`). */
export async function collectTopic(kafka: Kafka, admin: Admin, topic: string, groupId: string): Promise<TopicCollector> {
  const messages: { partition: number; message: KafkaMessage }[] = [];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, retry: BROKER_RETRY });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void messages.push({ partition, message }) });
  return {
    stop: () => consumer.disconnect(),
    async read() {
      const ends = await admin.fetchTopicOffsets(topic);
      await waitFor(
        async () =>
          ends.every(
            (end) => end.high === '0' || messages.some((m) => m.partition === end.partition && BigInt(m.message.offset) >= BigInt(end.high) - 1n),
          ),
        `the end of ${topic}`,
      );
      return [...messages];
    },
  };
}

/** Deletes the topics a test file created (those still there) and the groups it used, then disconnects. */
export async function releaseBroker(admin: Admin | undefined, created: { topics: readonly string[]; groups: readonly string[] }): Promise<void> {
  if (!admin) return;
  const existing = new Set(await admin.listTopics());
  const leftovers = created.topics.filter((topic) => existing.has(topic));
  if (leftovers.length > 0) await admin.deleteTopics({ topics: leftovers });
  await admin.deleteGroups([...created.groups]).catch(() => undefined);
  await admin.disconnect();
}

/** A test's own topic and consumer group prefix (REDPANDA__TOPIC_PREFIX): `t` and 8 hex digits. */
export const testPrefix = () => `t${randomUUID().slice(0, 8)}.`;

/** Deletes every topic and consumer group whose name starts with a test's prefix. */
export async function releasePrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    const { groups } = await admin.listGroups();
    const ours = groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
    if (ours.length > 0) await admin.deleteGroups(ours).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
