// Where the simulated feed got to, read from the ticks topic itself: the log is the truth, the
// state the feed saves in Redis after each batch is only a shortcut. Every simulated tick carries
// its step (its position in the feed's round robin, counted from 0 across restarts) inside its
// event id: a UUIDv7 whose time is the tick's and whose random bits are a mark of the seed and
// the step. On start the feed reads the last message of each partition of the topic; a tick of
// step s is out iff s is at most the last step of the partition its instrument's key goes to
// (one producer, one request in flight: a partition holds its steps in order). So a crash
// between a send and the save of the state neither repeats a tick nor skips one, and a send
// that reached only some partitions is completed without writing the others twice.
import { createHash, randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type PartitionMetadata } from 'kafkajs';
import type { Envelope } from '../../core/domain/events';

/** Steps fit in 48 bits; the remaining 26 random bits of the UUID mark the seed's stream. */
const STEP_BITS = 48n;
const MARK_MASK = (1n << 26n) - 1n;

function seedMark(seed: number): bigint {
  const hash = createHash('sha256').update(`simulated-feed:${seed}`).digest();
  return BigInt(hash.readUInt32BE(0)) & MARK_MASK;
}

/** The event id of the simulated tick of `step` of the feed seeded with `seed`, stamped `at`. */
export function simulatedTickId(at: Date, seed: number, step: number): string {
  if (!Number.isSafeInteger(step) || step < 0 || BigInt(step) >= 1n << STEP_BITS) throw new Error(`not a feed step: ${step}`);
  // 74 bits after the version and variant: 12 (rand_a) + 62 (rand_b) = mark (26) + step (48).
  const bits = (seedMark(seed) << STEP_BITS) | BigInt(step);
  const randA = bits >> 62n;
  const randB = bits & ((1n << 62n) - 1n);
  const hex =
    at.getTime().toString(16).padStart(12, '0') +
    (0x7000n | randA).toString(16).padStart(4, '0') +
    ((2n << 62n) | randB).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The step of a simulated tick id of this seed's feed; null for any other id. */
export function stepOfTickId(id: string, seed: number): number | null {
  const hex = id.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/.test(hex) || hex[12] !== '7') return null;
  const randA = BigInt(`0x${hex.slice(13, 16)}`);
  const randB = BigInt(`0x${hex.slice(16)}`) & ((1n << 62n) - 1n);
  const bits = (randA << 62n) | randB;
  if (bits >> STEP_BITS !== seedMark(seed)) return null;
  return Number(bits & ((1n << STEP_BITS) - 1n));
}

/** How far a previous run of the feed got, per partition of the ticks topic. */
export interface PublishedSteps {
  /** Whether the tick of `step`, keyed `key`, is on the topic already. */
  isPublished(step: number, key: string): boolean;
  /** The highest step on the topic, -1 when none. */
  readonly last: number;
}

/** Messages read back from a partition's end before giving up on finding one of the feed's ticks. */
const MAX_LOOKBACK = 200;

/**
 * Reads the last tick of `seed`'s feed in every partition of `topic` (skipping, from the end,
 * messages that are not: malformed or from another source).
 */
export async function readPublishedSteps(kafka: Kafka, topic: string, seed: number): Promise<PublishedSteps> {
  const admin = kafka.admin();
  await admin.connect();
  let offsets: { partition: number; high: string; low: string }[];
  let partitionMetadata: PartitionMetadata[];
  try {
    offsets = await admin.fetchTopicOffsets(topic);
    partitionMetadata = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions;
  } finally {
    await admin.disconnect();
  }
  const lastStep = new Map<number, number>();
  const toRead = offsets.filter(({ high, low }) => Number(high) > Number(low));
  if (toRead.length > 0) {
    for (const [partition, step] of await readBackwards(kafka, topic, seed, toRead)) lastStep.set(partition, step);
  }
  // The producer's own partitioner, so that a key maps to the partition the feed wrote it to.
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionOf = (key: string) => partitioner({ topic, partitionMetadata, message: { key, value: null } });
  return {
    last: Math.max(-1, ...lastStep.values()),
    isPublished: (step, key) => step <= (lastStep.get(partitionOf(key)) ?? -1),
  };
}

async function readBackwards(
  kafka: Kafka,
  topic: string,
  seed: number,
  partitions: readonly { partition: number; high: string; low: string }[],
): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  const next = new Map(partitions.map(({ partition, high }) => [partition, Number(high) - 1]));
  const low = new Map(partitions.map(({ partition, low: first }) => [partition, Number(first)]));
  // A throwaway group that commits nothing: it only positions itself and reads.
  const consumer = kafka.consumer({ groupId: `${topic}.market-feed-resume.${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    let settle!: (error?: Error) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
    const lookback = new Map<number, number>();
    const finishIfDone = () => {
      if (next.size === 0) settle();
    };
    await consumer.subscribe({ topic });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const want = next.get(partition);
        if (want === undefined || Number(message.offset) !== want) return;
        const step = stepOfMessage(message.value, seed);
        const seen = (lookback.get(partition) ?? 0) + 1;
        lookback.set(partition, seen);
        if (step !== null || want <= low.get(partition)! || seen >= MAX_LOOKBACK) {
          if (step !== null) found.set(partition, step);
          next.delete(partition);
          consumer.pause([{ topic, partitions: [partition] }]);
          finishIfDone();
          return;
        }
        next.set(partition, want - 1);
        consumer.seek({ topic, partition, offset: String(want - 1) });
      },
    });
    for (const [partition, offset] of next) consumer.seek({ topic, partition, offset: String(offset) });
    const timer = setTimeout(() => settle(new Error(`reading the end of ${topic} timed out`)), 60_000);
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return found;
}

function stepOfMessage(value: Buffer | null, seed: number): number | null {
  try {
    const envelope = JSON.parse(value?.toString('utf8') ?? '') as Partial<Envelope>;
    return envelope.type === 'tick_received' && typeof envelope.id === 'string' ? stepOfTickId(envelope.id, seed) : null;
  } catch {
    return null;
  }
}
