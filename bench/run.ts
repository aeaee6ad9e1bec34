// One benchmark run, side by side: the bare kafkajs baseline and one bare broker hop, the paper
// pipeline as fast as it takes ticks (throughput), then the pipeline paced at each latency rate
// (tick-to-fill and per-hop latency under a steady load), with the stages in one process and in
// two (as `alpha-panda run` splits its workers). Each pipeline run gets a throwaway
// environment of its own on the same broker, cleaned up after it.
import { createEvent } from '../core/domain/events';
import { toMessage } from '../core/kafka/producer';
import { MarketSimulator } from '../services/market-feed/simulator';
import { runBaseline, runHopBaseline, type BaselineFigures } from './baseline';
import { prepareEnvironment, SIGNAL_EVERY_TICKS, type BenchEnvironment } from './environment';
import { HOPS, STOPS, type Hop, type Stop } from './observer';
import { runPipeline, type PipelineFigures } from './pipeline';
import { progressBar } from './progress';
import { ratePerSecond, summarize, type LatencySummary } from './stats';

export interface BenchmarkOptions {
  ticks: number;
  /** Ticks per second of the throughput run; undefined for as fast as possible. */
  rate?: number;
  instruments: number;
  /** The strategy's view every this many ticks of an instrument (default SIGNAL_EVERY_TICKS). */
  signalEveryTicks?: number;
  /**
   * Shift each instrument's schedule by its token, so that views come on different ticks: a
   * steady stream of trades rather than one burst of every instrument's view (the default).
   */
  spreadViews?: boolean;
  /** The rates of the latency runs (ticks per second); none to skip them. */
  latencyRates: readonly number[];
  /** How long each latency run feeds ticks. */
  latencySeconds: number;
  /** Pipeline process counts to measure, each with the throughput and latency runs (default 1 and 2). */
  processes?: readonly (1 | 2)[];
  signal?: AbortSignal;
}

/** The throughput and latency runs with the stages in this many processes. */
export interface ScalingRun {
  processes: number;
  pipeline: PipelineRun;
  latencyRuns: PipelineRun[];
}

/** One pipeline run's figures, with the latency samples summarized (and left out). */
export type PipelineRun = Omit<PipelineFigures, 'fillLatenciesMs' | 'hopLatenciesMs' | 'deliveriesMs' | 'pendingOrders'> & {
  rate?: number;
  /** The strategy's view every this many ticks of an instrument (written by runs since latency runs set their own). */
  signalEveryTicks?: number;
  ticksPerSecond: number;
  produceRate: number;
  latency: LatencySummary;
  hops: Record<Hop, LatencySummary>;
  /** Written by runs since deliveries were measured. */
  deliveries?: Record<Stop, LatencySummary>;
  /**
   * Written by runs since they were measured: the trades sent, those whose view waited behind its
   * instrument's unfilled previous order (see pending-orders.ts), and the others' tick-to-fill.
   */
  pendingOrders?: { trades: number; behind: number; latencyAlone: LatencySummary };
};

export interface BenchmarkResult {
  options: Omit<BenchmarkOptions, 'signal'>;
  brokers: string[];
  signalEveryTicks: number;
  /** The throughput run (with the first process count). */
  pipeline: PipelineRun;
  /** The paced runs, one per latency rate (with the first process count). */
  latencyRuns: PipelineRun[];
  /** Every process count's runs, the first one's being `pipeline` and `latencyRuns`. */
  scaling: ScalingRun[];
  baseline: BaselineFigures & { messagesPerSecond: number };
  /** One bare produce-to-consume hop, single messages paced (see runHopBaseline). */
  bareHop: LatencySummary;
  /** Pipeline ticks/s over bare kafkajs messages/s. */
  ratio: number;
  /** Peak RSS of this process (the feed, the observers and the baselines). */
  benchPeakRssBytes: number;
}

/** A tick message exactly as the feed sends it, for the baseline to copy its size and headers. */
function sampleTickMessage(env: BenchEnvironment) {
  const tick = new MarketSimulator(env.instruments, 42).tick(0, new Date());
  const envelope = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: tick });
  const message = toMessage(env.ticksTopic, String(tick.instrumentToken), envelope);
  return { value: Buffer.from(message.value as string), headers: message.headers };
}

async function pipelineRun(
  options: BenchmarkOptions,
  processes: 1 | 2,
  ticks: number,
  rate: number | undefined,
  label: string,
  signalEveryTicks: number,
): Promise<PipelineRun> {
  const env = await prepareEnvironment(workloadOf(options, signalEveryTicks));
  try {
    const bar = progressBar(label, ticks, 'ticks');
    let figures: PipelineFigures;
    try {
      figures = await runPipeline(env, {
        ticks,
        rate,
        processes,
        signal: options.signal,
        onProgress: ({ produced, throughAllStages }) => bar.update(throughAllStages, `(${produced} sent)`),
      });
    } finally {
      bar.stop();
    }
    const { fillLatenciesMs, hopLatenciesMs, deliveriesMs, pendingOrders, ...rest } = figures;
    return {
      ...rest,
      ...(rate === undefined ? {} : { rate }),
      signalEveryTicks,
      ticksPerSecond: ratePerSecond(figures.ticks, figures.elapsedMs),
      produceRate: ratePerSecond(figures.ticks, figures.produceMs),
      latency: summarize(fillLatenciesMs),
      hops: Object.fromEntries(HOPS.map((hop) => [hop, summarize(hopLatenciesMs[hop])])) as Record<Hop, LatencySummary>,
      deliveries: Object.fromEntries(STOPS.map((stop) => [stop, summarize(deliveriesMs[stop])])) as Record<Stop, LatencySummary>,
      pendingOrders: { trades: pendingOrders.trades, behind: pendingOrders.behind, latencyAlone: summarize(pendingOrders.aloneFillLatenciesMs) },
    };
  } finally {
    await env.cleanup();
  }
}

const signalEveryOf = (options: BenchmarkOptions) => options.signalEveryTicks ?? SIGNAL_EVERY_TICKS;

/**
 * A latency run's view cadence, unless --signal-every sets it: the default, or as many ticks as
 * an instrument gets in a second at the run's rate, whichever is more. The runner places one
 * market order at a time per strategy and instrument and holds the views taken meanwhile until its
 * outcome (services/strategy-runner/deferred.ts). Views of one instrument closer together than a
 * trade's round trip (10 instruments at 2,000 ticks/s: a view every 100 ms each) would queue
 * behind each other, the queue growing for as long as the run lasts, and the run would measure
 * that queue rather than the pipeline (the report counts such trades, see pending-orders.ts).
 */
export function latencySignalEvery(options: Pick<BenchmarkOptions, 'signalEveryTicks' | 'instruments'>, rate: number): number {
  return options.signalEveryTicks ?? Math.max(SIGNAL_EVERY_TICKS, Math.ceil(rate / options.instruments));
}

const workloadOf = (options: BenchmarkOptions, signalEveryTicks = signalEveryOf(options)) => ({
  instruments: options.instruments,
  signalEveryTicks,
  spreadViews: options.spreadViews ?? false,
});

export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const env = await prepareEnvironment(workloadOf(options));
  let baseline: BaselineFigures;
  let hopSamples: number[];
  try {
    const sample = sampleTickMessage(env);
    const baselineBar = progressBar('bare kafkajs', options.ticks, 'messages');
    try {
      baseline = await runBaseline({
        kafka: env.kafka,
        prefix: env.prefix,
        groupId: env.groupFor('baseline'),
        messages: options.ticks,
        value: sample.value,
        headers: sample.headers,
        keys: env.instruments.map((instrument) => String(instrument.instrumentToken)),
        onProgress: (consumed) => baselineBar.update(consumed),
        signal: options.signal,
      });
    } finally {
      baselineBar.stop();
    }
    hopSamples = await runHopBaseline({
      kafka: env.kafka,
      prefix: env.prefix,
      groupId: env.groupFor('hop-baseline'),
      messages: 500,
      rate: 200,
      value: sample.value,
      signal: options.signal,
    });
  } finally {
    await env.cleanup();
  }

  const scaling: ScalingRun[] = [];
  for (const processes of options.processes ?? [1, 2]) {
    const label = (what: string) => `${what}, ${processes} process${processes === 1 ? '' : 'es'}`;
    const pipeline = await pipelineRun(options, processes, options.ticks, options.rate, label('ticks through all stages'), signalEveryOf(options));
    const latencyRuns: PipelineRun[] = [];
    for (const rate of options.latencyRates) {
      const progressLabel = label(`latency at ${rate} ticks/s`);
      latencyRuns.push(await pipelineRun(options, processes, rate * options.latencySeconds, rate, progressLabel, latencySignalEvery(options, rate)));
    }
    scaling.push({ processes, pipeline, latencyRuns });
  }
  const { pipeline, latencyRuns } = scaling[0]!;

  const messagesPerSecond = ratePerSecond(baseline.messages, baseline.elapsedMs);
  const { signal: _signal, ...settings } = options;
  return {
    options: settings,
    brokers: [...env.config.redpanda.bootstrapServers],
    signalEveryTicks: signalEveryOf(options),
    pipeline,
    latencyRuns,
    scaling,
    baseline: { ...baseline, messagesPerSecond },
    bareHop: summarize(hopSamples),
    ratio: messagesPerSecond > 0 ? pipeline.ticksPerSecond / messagesPerSecond : 0,
    benchPeakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
