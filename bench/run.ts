// One benchmark run: a throwaway environment, the bare kafkajs baseline, then the paper pipeline,
// both on the same broker with the same number of messages of the same size; then cleanup.
import { createEvent } from '../core/domain/events';
import { toMessage } from '../core/kafka/producer';
import { MarketSimulator } from '../services/market-feed/simulator';
import { runBaseline, type BaselineFigures } from './baseline';
import { prepareEnvironment, SIGNAL_EVERY_TICKS, type BenchEnvironment } from './environment';
import { runPipeline, type PipelineFigures } from './pipeline';
import { progressBar } from './progress';
import { ratePerSecond, summarize, type LatencySummary } from './stats';

export interface BenchmarkOptions {
  ticks: number;
  /** Ticks per second; undefined for as fast as possible. */
  rate?: number;
  instruments: number;
  signal?: AbortSignal;
}

export interface BenchmarkResult {
  options: BenchmarkOptions;
  brokers: string[];
  signalEveryTicks: number;
  pipeline: PipelineFigures & { ticksPerSecond: number; produceRate: number; latency: LatencySummary };
  baseline: BaselineFigures & { messagesPerSecond: number };
  /** Pipeline ticks/s over bare kafkajs messages/s. */
  ratio: number;
  /** Peak RSS of this process (the feed, the fill observer and the baseline). */
  benchPeakRssBytes: number;
}

/** A tick message exactly as the feed sends it, for the baseline to copy its size and headers. */
function sampleTickMessage(env: BenchEnvironment) {
  const tick = new MarketSimulator(env.instruments, 42).tick(0, new Date());
  const envelope = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: tick });
  const message = toMessage(env.ticksTopic, String(tick.instrumentToken), envelope);
  return { value: Buffer.from(message.value as string), headers: message.headers };
}

export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const env = await prepareEnvironment({ instruments: options.instruments });
  try {
    const sample = sampleTickMessage(env);
    const baselineBar = progressBar('bare kafkajs', options.ticks, 'messages');
    let baseline: BaselineFigures;
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

    const pipelineBar = progressBar('ticks through all stages', options.ticks, 'ticks');
    let pipeline: PipelineFigures;
    try {
      pipeline = await runPipeline(env, {
        ticks: options.ticks,
        rate: options.rate,
        signal: options.signal,
        onProgress: ({ produced, throughAllStages }) => pipelineBar.update(throughAllStages, `(${produced} sent)`),
      });
    } finally {
      pipelineBar.stop();
    }

    const ticksPerSecond = ratePerSecond(pipeline.ticks, pipeline.elapsedMs);
    const messagesPerSecond = ratePerSecond(baseline.messages, baseline.elapsedMs);
    return {
      options,
      brokers: [...env.config.redpanda.bootstrapServers],
      signalEveryTicks: SIGNAL_EVERY_TICKS,
      pipeline: {
        ...pipeline,
        ticksPerSecond,
        produceRate: ratePerSecond(pipeline.ticks, pipeline.produceMs),
        latency: summarize(pipeline.fillLatenciesMs),
      },
      baseline: { ...baseline, messagesPerSecond },
      ratio: messagesPerSecond > 0 ? ticksPerSecond / messagesPerSecond : 0,
      benchPeakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    await env.cleanup();
  }
}
