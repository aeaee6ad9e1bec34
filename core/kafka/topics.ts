// Idempotent topic creation from the one topic table (core/domain/topics.ts): creates what is
// missing, raises partition counts the table has increased, and leaves everything else alone.
import type { Admin, Kafka } from 'kafkajs';
import { topicSpecs, type TopicSpec } from '../domain/topics';
import { assertIsolated } from './isolation';

/** Replication wanted in production; a smaller cluster gets one replica per broker. */
export const TARGET_REPLICATION_FACTOR = 3;

export function replicationFactorFor(brokerCount: number): number {
  if (!Number.isInteger(brokerCount) || brokerCount < 1) {
    throw new Error(`cannot place topics on a cluster of ${brokerCount} brokers`);
  }
  return Math.min(TARGET_REPLICATION_FACTOR, brokerCount);
}

/** With three replicas an acknowledged write survives one broker loss; fewer cannot ask for it. */
export function minInSyncReplicasFor(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

export interface PartitionIncrease {
  topic: string;
  from: number;
  to: number;
}

export interface TopicPlan {
  create: TopicSpec[];
  existing: string[];
  grow: PartitionIncrease[];
}

/** What bootstrap must do, given the partition count of each topic that already exists. */
export function planTopics(specs: readonly TopicSpec[], existingPartitions: ReadonlyMap<string, number>): TopicPlan {
  const plan: TopicPlan = { create: [], existing: [], grow: [] };
  for (const spec of specs) {
    const partitions = existingPartitions.get(spec.name);
    if (partitions === undefined) {
      plan.create.push(spec);
      continue;
    }
    plan.existing.push(spec.name);
    // Partitions can only be added; a topic with more than the table asks for keeps them.
    if (partitions < spec.partitions) plan.grow.push({ topic: spec.name, from: partitions, to: spec.partitions });
  }
  return plan;
}

export interface BootstrapResult {
  created: string[];
  existing: string[];
  partitionsIncreased: PartitionIncrease[];
  replicationFactor: number;
}

async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

async function partitionCounts(admin: Admin, names: string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  return new Map(topics.map((topic) => [topic.name, topic.partitions.length]));
}

/**
 * Creates the topics of the table (all of them by default, DLQs included). Running it again
 * creates nothing. Retention of existing topics is not changed.
 */
export async function bootstrapTopics(kafka: Kafka, specs: readonly TopicSpec[] = topicSpecs()): Promise<BootstrapResult> {
  assertIsolated({ topics: specs.map((spec) => spec.name) }, 'bootstrap');
  return withAdmin(kafka, async (admin) => {
    const { brokers } = await admin.describeCluster();
    const replicationFactor = replicationFactorFor(brokers.length);
    const listed = new Set(await admin.listTopics());
    const plan = planTopics(specs, await partitionCounts(admin, specs.map((s) => s.name).filter((n) => listed.has(n))));

    const created: string[] = [];
    const existing = [...plan.existing];
    // One request per topic, so that a topic another process creates at the same moment is
    // reported as existing rather than hiding which ones this run created.
    await Promise.all(
      plan.create.map(async (spec) => {
        const wasCreated = await createWaitingForLeaders(admin, {
          topics: [
            {
              topic: spec.name,
              numPartitions: spec.partitions,
              replicationFactor,
              configEntries: [
                { name: 'retention.ms', value: String(spec.retentionMs) },
                { name: 'min.insync.replicas', value: String(minInSyncReplicasFor(replicationFactor)) },
              ],
            },
          ],
        });
        (wasCreated ? created : existing).push(spec.name);
      }),
    );

    if (plan.grow.length > 0) {
      await admin.createPartitions({ topicPartitions: plan.grow.map(({ topic, to }) => ({ topic, count: to })) });
    }
    const order = new Map(specs.map((spec, index) => [spec.name, index]));
    const bySpecOrder = (a: string, b: string) => order.get(a)! - order.get(b)!;
    return { created: created.sort(bySpecOrder), existing: existing.sort(bySpecOrder), partitionsIncreased: plan.grow, replicationFactor };
  });
}

type CreateTopicsRequest = Omit<Parameters<Admin['createTopics']>[0], 'waitForLeaders'>;

/**
 * createTopics with waitForLeaders, tolerating the moment right after creation when the broker
 * still answers "does not host this topic-partition": the topic exists, its leader is coming.
 * Returns whether this call created the topic.
 */
async function createWaitingForLeaders(admin: Admin, request: CreateTopicsRequest, attempts = 10): Promise<boolean> {
  let created: boolean | undefined;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await admin.createTopics({ ...request, waitForLeaders: true });
      return created ?? result;
    } catch (error) {
      const failure = error as { type?: string; originalError?: { type?: string } };
      const type = failure.type ?? failure.originalError?.type;
      if (attempt >= attempts || (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE')) throw error;
      // The failed call did create it; the retry will find it existing and answer false.
      created ??= true;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** The names among `names` that do not exist on the broker (for health checks). */
export async function missingTopics(kafka: Kafka, names: readonly string[]): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const listed = new Set(await admin.listTopics());
    return names.filter((name) => !listed.has(name));
  });
}
