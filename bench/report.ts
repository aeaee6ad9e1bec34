// The benchmark's figures as text for stdout.
import { formatBytes, formatMs, formatRate } from './stats';
import { inFlightLimit } from './pipeline';
import type { BenchmarkResult } from './run';

const count = (value: number) => value.toLocaleString('en-US');

export function formatBenchmark(result: BenchmarkResult): string {
  const { pipeline, baseline, options } = result;
  const e = pipeline.events;
  const l = pipeline.latency;
  const lines = [
    `Alpha Panda benchmark: paper pipeline on ${result.brokers.join(',')}`,
    `  ${count(options.ticks)} ticks, ${options.instruments} instruments, rate ${
      options.rate === undefined ? `as fast as the pipeline takes them (at most ${count(inFlightLimit(options.ticks))} in flight)` : `${count(options.rate)} ticks/s`
    }, ` +
      `a signal every ${result.signalEveryTicks} ticks per instrument`,
    '',
    'Pipeline (strategy-runner -> risk-manager -> trading-engine -> portfolio-manager, one process)',
    `  through all stages     ${formatRate(pipeline.ticksPerSecond)} ticks (${count(pipeline.ticks)} ticks in ${formatMs(pipeline.elapsedMs)})`,
    `  feed produced at       ${formatRate(pipeline.produceRate)} ticks`,
    `  events                 signals ${count(e.signalsRaw ?? 0)}, validated ${count(e.signalsValidated ?? 0)}, rejected ${count(e.signalsRejected ?? 0)}, ` +
      `orders ${count(e.ordersSubmitted ?? 0)}, fills ${count(e.ordersFilled ?? 0)}, rejected ${count(e.ordersRejected ?? 0)}, cancelled ${count(e.ordersCancelled ?? 0)}, ` +
      `P&L snapshots ${count(e.pnlSnapshots ?? 0)}, dead letters ${count(pipeline.deadLetters)}`,
    ...((e.ordersFilled ?? 0) < (e.ordersSubmitted ?? 0)
      ? ['                         (orders placed after the last tick of their instrument stay open: no later tick to fill on)']
      : []),
    `  tick-to-fill latency   p50 ${formatMs(l.p50)}, p95 ${formatMs(l.p95)}, p99 ${formatMs(l.p99)}, max ${formatMs(l.max)} ` +
      `(${count(l.count)} of ${count(pipeline.fillsSeen)} fills)`,
    `  peak RSS               pipeline process ${formatBytes(pipeline.pipelinePeakRssBytes)}, ` +
      `benchmark process (feed, fill observer, baseline) ${formatBytes(result.benchPeakRssBytes)}`,
    `  per stage              ${pipeline.stages.map((s) => `${s.name} ${count(s.processed)} events${s.deadLettered ? ` (${s.deadLettered} dead-lettered)` : ''}`).join(', ')}`,
    `  peak backlog           ${pipeline.stages.map((s) => `${s.name} ${count(s.peakLag)}`).join(', ')} (messages behind; the slowest stage has the most)`,
    '',
    `Bare kafkajs produce-then-consume (same broker, ${count(baseline.messages)} messages of ${count(baseline.messageBytes)} bytes)`,
    `  produce and consume    ${formatRate(baseline.messagesPerSecond)} messages (${formatMs(baseline.elapsedMs)}; produce alone ${formatMs(baseline.produceMs)})`,
    '',
    `Pipeline / bare kafkajs  ${result.ratio.toFixed(3)} (${(result.ratio * 100).toFixed(1)}%)` +
      (options.rate === undefined ? '' : ` (the pipeline was paced at ${count(options.rate)} ticks/s, the baseline was not)`),
    '',
    'The broker, Postgres and Redis are shared with whatever else runs on this machine; figures vary with its load.',
  ];
  return lines.join('\n');
}
