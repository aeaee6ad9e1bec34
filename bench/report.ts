// The benchmark's figures as text for stdout, and a before/after comparison of two runs' JSON.
import { formatBytes, formatMs, formatRate, type LatencySummary } from './stats';
import { inFlightLimit, PROCESS_SPLIT } from './pipeline';
import { HOPS } from './observer';
import type { BenchmarkResult, PipelineRun } from './run';
import { CONSUMER_WAITS, STAGE_STEPS } from '../core/metrics/stage-timings';

const count = (value: number) => value.toLocaleString('en-US');

const latencyLine = (l: LatencySummary) =>
  `p50 ${formatMs(l.p50)}, p95 ${formatMs(l.p95)}, p99 ${formatMs(l.p99)}, max ${formatMs(l.max)} (${count(l.count)})`;

function hopLines(run: PipelineRun): string[] {
  return HOPS.map((hop) => `    ${hop.padEnd(20)} ${latencyLine(run.hops[hop])}`);
}

function runLines(run: PipelineRun): string[] {
  const e = run.events;
  return [
    `  through all stages     ${formatRate(run.ticksPerSecond)} ticks (${count(run.ticks)} ticks in ${formatMs(run.elapsedMs)}; feed produced at ${formatRate(run.produceRate)})`,
    `  events                 signals ${count(e.signalsRaw ?? 0)}, validated ${count(e.signalsValidated ?? 0)}, rejected ${count(e.signalsRejected ?? 0)}, ` +
      `orders ${count(e.ordersSubmitted ?? 0)}, fills ${count(e.ordersFilled ?? 0)}, rejected ${count(e.ordersRejected ?? 0)}, cancelled ${count(e.ordersCancelled ?? 0)}, ` +
      `P&L snapshots ${count(e.pnlSnapshots ?? 0)}, dead letters ${count(run.deadLetters)}`,
    `  tick-to-fill latency   ${latencyLine(run.latency)} of ${count(run.fillsSeen)} fills`,
    ...pendingOrderLines(run),
    '  per hop (Kafka timestamps of a trade\'s messages; a paper market order fills as the engine takes it)',
    ...hopLines(run),
    ...deliveryLine(run),
    rssLine(run),
    loadLine(run),
    `  event-loop delay       ${run.load.pipeline.map((each) => `p50 ${ms(each.eventLoopDelayMs.p50)}, p99 ${ms(each.eventLoopDelayMs.p99)}, max ${ms(each.eventLoopDelayMs.max)} ms`).join(' | ')} (how late timers ran)`,
    `  peak backlog           ${run.stages.map((s) => `${s.name} ${count(s.peakLag)}`).join(', ')} (messages behind)`,
    ...timingLines(run),
  ];
}

/** Each pipeline process's peak RSS; undefined for a result written before it was kept per process. */
function processRssBytes(run: PipelineRun): number[] | undefined {
  const each = run.load?.pipeline.map((load) => load.peakRssBytes);
  return each?.length && each.every((bytes) => bytes !== undefined) ? each : undefined;
}

/** Each pipeline process's peak RSS (the target is per process), and their sum. */
function rssLine(run: PipelineRun): string {
  const each = processRssBytes(run);
  if (run.processes === 1 || !each) {
    return `  peak RSS               pipeline process${run.processes > 1 ? `es (${run.processes}, summed)` : ''} ${formatBytes(run.pipelinePeakRssBytes)}`;
  }
  return `  peak RSS               pipeline processes ${each.map(formatBytes).join(' | ')} (summed ${formatBytes(run.pipelinePeakRssBytes)})`;
}

/** The largest pipeline process's peak RSS; NaN for a result of several processes written before it was kept per process. */
export function largestProcessRssBytes(run: PipelineRun): number {
  if (run.processes === 1) return run.pipelinePeakRssBytes;
  const each = processRssBytes(run);
  return each ? Math.max(...each) : Number.NaN;
}

/** A latency run's view cadence, when it has its own (see latencySignalEvery in run.ts). */
function cadenceOf(result: BenchmarkResult, run: PipelineRun): string {
  const every = run.signalEveryTicks ?? result.signalEveryTicks;
  const seconds = run.rate ? (every * result.options.instruments) / run.rate : Number.NaN;
  return `, a signal every ${count(every)} ticks per instrument${Number.isFinite(seconds) ? ` (every ${seconds.toFixed(seconds < 1 ? 2 : 1)} s)` : ''}`;
}

/** The trades whose view waited for its instrument's previous order (the runner's rule), and the others' tick-to-fill. */
function pendingOrderLines(run: PipelineRun): string[] {
  const pending = run.pendingOrders;
  if (!pending || pending.trades === 0) return [];
  return [
    `    behind an order      ${count(pending.behind)} of ${count(pending.trades)} trades were taken while their instrument's previous order was unfilled, ` +
      'and waited for its outcome (one market order at a time per strategy and instrument)',
    `    the others           ${pending.latencyAlone.count > 0 ? latencyLine(pending.latencyAlone) : 'none'}`,
  ];
}

/** What a hop would cost with nothing but the broker in it: a consumer of its own gets each message this soon. */
function deliveryLine(run: PipelineRun): string[] {
  if (!run.deliveries) return [];
  const d = run.deliveries;
  const topic = (name: string, l: LatencySummary) => `${name} p50 ${ms(l.p50)}, p99 ${ms(l.p99)}`;
  return [
    `  to an idle consumer    ${topic('signals', d.raw)} | ${topic('validated', d.validated)} | ${topic('orders', d.submitted)} | ${topic('fills', d.filled)} ms ` +
      "(send to arrival at the benchmark's observer; set against the stages' event-fetched below)",
  ];
}

/** CPU cores busy over the run, per process, out of the machine's (shared with the broker, Redis and Postgres). */
function loadLine(run: PipelineRun): string {
  const cores = (value: number) => value.toFixed(2);
  const pipeline = run.load.pipeline.map((each) => cores(each.cpuCores)).join(' + ');
  return `  CPU (cores busy)       pipeline process${run.processes > 1 ? 'es' : ''} ${pipeline}, benchmark process (feed, observers) ${cores(run.load.benchCpuCores)}, of ${run.load.machineCores} on this machine`;
}

const ms = (value: number) => (value === Infinity ? '>10s' : value < 10 ? value.toFixed(1) : value.toFixed(0));

/** The order of a stage's timings on its line: waits, then the steps of a batch. */
const TIMING_ORDER: readonly string[] = [...CONSUMER_WAITS, ...STAGE_STEPS];

/** Per stage, its consumer's waits and processOnce's steps: p50/p99 (bucket bounds) and the mean, in ms. */
function timingLines(run: PipelineRun): string[] {
  if (run.stageTimings.length === 0) return [];
  const stages = [...new Set(run.stageTimings.map((t) => t.stage))];
  return [
    "  where stages' time goes (ms, p50/p99 by histogram bucket, mean; *-fetched: a batch's newest message's age when fetched, queued: its wait behind the delivery in progress)",
    ...stages.map((stage) => {
      const parts = run.stageTimings
        .filter((t) => t.stage === stage)
        .sort((a, b) => TIMING_ORDER.indexOf(a.what) - TIMING_ORDER.indexOf(b.what))
        .map((t) => `${t.what} ${ms(t.p50Ms)}/${ms(t.p99Ms)} (${ms(t.meanMs)}, ${count(t.count)})`);
      return `    ${stage.padEnd(20)} ${parts.join('  ')}`;
    }),
  ];
}

/** What the first run's pipeline processes ran (see pipelineCode in pipeline.ts). */
export function codeOf(result: Pick<BenchmarkResult, 'pipeline'>): string {
  const code = result.pipeline.code;
  if (code === 'build') return 'the compiled build (build/), as workers do';
  if (code === 'source') return 'the sources through the TypeScript loader (build/ was stale; `make bench` builds it): expect some 30 MiB more per process';
  return 'code not recorded';
}

export function formatBenchmark(result: BenchmarkResult): string {
  const { baseline, options } = result;
  const lines = [
    `Alpha Panda benchmark: paper pipeline on ${result.brokers.join(',')}`,
    `  ${options.instruments} instruments, a signal every ${result.signalEveryTicks} ticks per instrument (latency runs: see each)` +
      `${options.spreadViews ? ', spread over the ticks (--spread-views)' : ', on the same tick for every instrument'}; ` +
      'strategy-runner -> risk-manager -> trading-engine -> portfolio-manager',
    `  pipeline processes ran ${codeOf(result)}`,
    ...scalingOf(result).flatMap(({ processes, pipeline: run, latencyRuns }) => [
      '',
      `With ${processes === 1 ? 'every stage in one process' : `${processes} processes (${PROCESS_SPLIT.map((share) => share.join(' + ')).join(' | ')})`}`,
      `Throughput run: ${count(options.ticks)} ticks, ${
        options.rate === undefined ? `as fast as the pipeline takes them (at most ${count(inFlightLimit(options.ticks))} in flight)` : `${count(options.rate)} ticks/s`
      }`,
      ...runLines(run),
      ...latencyRuns.flatMap((paced) => ['', `Latency run: ${count(paced.ticks)} ticks at ${count(paced.rate ?? 0)} ticks/s${cadenceOf(result, paced)}`, ...runLines(paced)]),
    ]),
    ...(scalingOf(result).length > 1 ? ['', 'Processes               ' + scalingOf(result).map(scalingSummary).join('  |  ')] : []),
    '',
    `Bare kafkajs produce-then-consume (same broker, ${count(baseline.messages)} messages of ${count(baseline.messageBytes)} bytes)`,
    `  produce and consume    ${formatRate(baseline.messagesPerSecond)} messages (${formatMs(baseline.elapsedMs)}; produce alone ${formatMs(baseline.produceMs)})`,
    `  one hop (paced, acks all) ${latencyLine(result.bareHop)}`,
    '',
    `Pipeline / bare kafkajs  ${result.ratio.toFixed(3)} (${(result.ratio * 100).toFixed(1)}%)` +
      (options.rate === undefined ? '' : ` (the pipeline was paced at ${count(options.rate)} ticks/s, the baseline was not)`),
    `Peak RSS of the benchmark process (feed, observers, baselines) ${formatBytes(result.benchPeakRssBytes)}`,
    '',
    'The broker, Postgres and Redis are shared with whatever else runs on this machine; figures vary with its load.',
  ];
  return lines.join('\n');
}

/** A result written before process counts were measured has its one run only. */
function scalingOf(result: BenchmarkResult) {
  return result.scaling ?? [{ processes: 1, pipeline: result.pipeline, latencyRuns: result.latencyRuns }];
}

function scalingSummary({ processes, pipeline: run, latencyRuns }: ReturnType<typeof scalingOf>[number]): string {
  const paced = latencyRuns.map((each) => `p50 ${formatMs(each.latency.p50)} at ${count(each.rate ?? 0)}/s`).join(', ');
  return `${processes}: ${formatRate(run.ticksPerSecond)} ticks${paced ? `, ${paced}` : ''}`;
}

/** The figures compared: a name and where to find it in a result. */
function figuresOf(result: BenchmarkResult): [string, number, 'higher' | 'lower'][] {
  const rows: [string, number, 'higher' | 'lower'][] = [
    ['throughput (ticks/s)', result.pipeline.ticksPerSecond, 'higher'],
    ['bare kafkajs (messages/s)', result.baseline.messagesPerSecond, 'higher'],
    ['pipeline / bare kafkajs', result.ratio, 'higher'],
    ['throughput run tick-to-fill p99 (ms)', result.pipeline.latency.p99, 'lower'],
    ['pipeline peak RSS (MiB)', result.pipeline.pipelinePeakRssBytes / 2 ** 20, 'lower'],
    // The target is per process: the largest one of each layout (n/a for older results of several).
    ...scalingOf(result).filter(({ processes }) => processes > 1).map(({ processes, pipeline }): [string, number, 'lower'] => [
      `${processes} processes: largest peak RSS (MiB)`,
      largestProcessRssBytes(pipeline) / 2 ** 20,
      'lower',
    ]),
    // Written by runs since the CPU was measured; n/a for older results.
    ['throughput run pipeline CPU per 1,000 ticks (ms)', cpuPerThousandTicks(result.pipeline), 'lower'],
    ['bare hop p50 (ms)', result.bareHop?.p50 ?? Number.NaN, 'lower'],
    ['bare hop p99 (ms)', result.bareHop?.p99 ?? Number.NaN, 'lower'],
  ];
  for (const run of result.latencyRuns ?? []) {
    const at = `@${run.rate}/s`;
    rows.push([`${at} tick-to-fill p50 (ms)`, run.latency.p50, 'lower'], [`${at} tick-to-fill p99 (ms)`, run.latency.p99, 'lower']);
    // n/a for results written before it was measured.
    rows.push([`${at} trades behind an order`, run.pendingOrders?.behind ?? Number.NaN, 'lower']);
    rows.push([`${at} tick-to-fill p99, not behind an order (ms)`, run.pendingOrders?.latencyAlone.p99 ?? Number.NaN, 'lower']);
    for (const hop of HOPS) rows.push([`${at} ${hop} p50 (ms)`, run.hops[hop].p50, 'lower'], [`${at} ${hop} p99 (ms)`, run.hops[hop].p99, 'lower']);
  }
  return rows;
}

const cpuPerThousandTicks = (run: PipelineRun) =>
  run.load ? (run.load.pipeline.reduce((sum, each) => sum + each.cpuSeconds, 0) * 1e6) / run.ticks : Number.NaN;

/** Latency runs of the same rate whose views came at different cadences measure different workloads: said first. */
function workloadChanges(before: BenchmarkResult, after: BenchmarkResult): string[] {
  const everyOf = (result: BenchmarkResult, run: PipelineRun) => run.signalEveryTicks ?? result.signalEveryTicks;
  return (after.latencyRuns ?? []).flatMap((run) => {
    const was = (before.latencyRuns ?? []).find((each) => each.rate === run.rate);
    if (!was || everyOf(before, was) === everyOf(after, run)) return [];
    return [`@${run.rate}/s: a signal every ${everyOf(before, was)} ticks per instrument before, every ${everyOf(after, run)} after: not the same workload`];
  });
}

/** Before and after side by side, figure by figure (matched by name; a figure either lacks is n/a). */
export function formatComparison(before: BenchmarkResult, after: BenchmarkResult): string {
  const old = new Map(figuresOf(before).map(([name, value]) => [name, value]));
  const show = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? 'n/a' : value < 10 ? value.toFixed(3) : value.toFixed(1));
  const lines = [...workloadChanges(before, after), `${'figure'.padEnd(44)} ${'before'.padStart(10)} ${'after'.padStart(10)}  change`];
  for (const [name, value, better] of figuresOf(after)) {
    const was = old.get(name);
    const change = was === undefined || !Number.isFinite(was) || was === 0 || !Number.isFinite(value) ? '' : `${(((value - was) / was) * 100).toFixed(0)}%`;
    const verdict = change === '' || was === undefined || value === was ? '' : (value > was) === (better === 'higher') ? ' better' : ' worse';
    lines.push(`${name.padEnd(44)} ${show(was).padStart(10)} ${show(value).padStart(10)}  ${change}${verdict}`);
  }
  return lines.join('\n');
}
