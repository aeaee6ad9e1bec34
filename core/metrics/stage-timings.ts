// Where a stage's time goes, as Prometheus histograms in the process's registry:
// - the consumer's waits: the age (from its Kafka timestamp) of a batch's newest message when its
//   fetch reaches the consumer, ticks apart from the events of other stages; and a chunk's wait
//   behind the delivery in progress;
// - each step of processOnce: the lock and reads (or, for a turn without reads, the lock alone),
//   apply, the write-ahead record with the durable effects, produce, the Redis commit.
// A stage commits one batch at a time, so a message that arrives during a delivery waits for it;
// these figures show whether a hop's latency is spent waiting or working, and on which round trip.
// `npm run bench` prints them per stage; the API's /metrics serves those of the stages in its own
// process (with `alpha-panda run`, the first worker's).
import { Histogram, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';
import { processRegistry } from './series';

/** From half a millisecond to ten seconds: a local round trip up to a stalled commit. */
const BUCKETS_SECONDS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2, 5, 10];

export const CONSUMER_WAITS = ['tick-fetched', 'event-fetched', 'queued'] as const;
export type ConsumerWait = (typeof CONSUMER_WAITS)[number];
export const STAGE_STEPS = ['lock-and-reads', 'lock', 'apply', 'durable', 'produce', 'commit'] as const;
export type StageStep = (typeof STAGE_STEPS)[number];

let histograms: { waits: Histogram<'group' | 'wait'>; steps: Histogram<'namespace' | 'stage' | 'step'> } | undefined;

function metrics() {
  if (!histograms) {
    const registers = [processRegistry()];
    histograms = {
      waits: new Histogram({
        name: 'alpha_panda_batch_wait_seconds',
        help: "tick-fetched, event-fetched: the age (from its Kafka timestamp) of a batch's newest tick or other event when its fetch reached the consumer; queued: a chunk's wait for the delivery in progress",
        labelNames: ['group', 'wait'],
        buckets: BUCKETS_SECONDS,
        registers,
      }),
      steps: new Histogram({
        name: 'alpha_panda_batch_step_seconds',
        help: 'Time a stage batch spent in each step of processOnce (durable: the write-ahead record and Postgres effects; produce: only batches with outputs)',
        labelNames: ['namespace', 'stage', 'step'],
        buckets: BUCKETS_SECONDS,
        registers,
      }),
    };
  }
  return histograms;
}

export function recordConsumerWait(group: string, wait: ConsumerWait, ms: number): void {
  metrics().waits.observe({ group, wait }, Math.max(0, ms) / 1000);
}

export function recordStageStep(namespace: string, stage: string, step: StageStep, ms: number): void {
  metrics().steps.observe({ namespace, stage, step }, Math.max(0, ms) / 1000);
}

/** One series of a histogram, summarized: how many, the mean and bucket-bound quantiles, in ms. */
export interface TimingSummary {
  labels: Record<string, string>;
  count: number;
  meanMs: number;
  /** The upper bound of the bucket holding the quantile (Infinity past the last bucket). */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

/** Both histograms of this process, one summary per series. */
export async function stageTimings(): Promise<TimingSummary[]> {
  const { waits, steps } = metrics();
  return [...summarizeHistogram(await waits.get()), ...summarizeHistogram(await steps.get())];
}

/** A prom-client histogram's values (cumulative `_bucket`s, `_sum`, `_count`) per series. */
export function summarizeHistogram(metric: Pick<MetricObjectWithValues<MetricValueWithName<string>>, 'name' | 'values'>): TimingSummary[] {
  const series = new Map<string, { labels: Record<string, string>; buckets: [number, number][]; sum: number; count: number }>();
  for (const { labels, value, metricName } of metric.values) {
    const { le, ...rest } = labels as Record<string, string | number>;
    const plain = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)]));
    const key = JSON.stringify(plain);
    let entry = series.get(key);
    if (!entry) series.set(key, (entry = { labels: plain, buckets: [], sum: 0, count: 0 }));
    if (metricName === `${metric.name}_bucket`) entry.buckets.push([le === '+Inf' ? Infinity : Number(le), value]);
    else if (metricName === `${metric.name}_sum`) entry.sum = value;
    else if (metricName === `${metric.name}_count`) entry.count = value;
  }
  return [...series.values()]
    .filter((entry) => entry.count > 0)
    .map(({ labels, buckets, sum, count }) => {
      buckets.sort((a, b) => a[0] - b[0]);
      const quantile = (q: number) => 1000 * (buckets.find(([, cumulative]) => cumulative >= q * count)?.[0] ?? Infinity);
      return { labels, count, meanMs: (1000 * sum) / count, p50Ms: quantile(0.5), p90Ms: quantile(0.9), p99Ms: quantile(0.99) };
    });
}
