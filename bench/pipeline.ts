// Pushes ticks through the paper pipeline and measures it. The pipeline runs in one child process
// (pipeline-process.ts), or two splitting the stages as `alpha-panda run` splits its workers
// (the strategy runner; the risk manager, trading engine and portfolio manager); this process plays the market feed, watches the fills arrive, and polls
// the consumer groups' committed offsets to see when every stage has worked off every tick and
// everything the ticks caused.
//
// - Throughput through all stages: ticks / (first tick sent -> every group drained). A group is
//   drained when it has committed the end of each of its inputs; the run is over when all are,
//   twice in a row with no topic growing in between (a stage may still be producing for the next).
// - Tick-to-fill latency: a fill's arrival here minus the `ts` of the tick that started its trade
//   (the fill's correlation id is that tick's id), so it spans every stage and the broker hops.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUILD_PIPELINE_PROCESS, usesBuild } from '../bin/build-state.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { eventClock } from '../core/clock';
import { createEvent, type Envelope } from '../core/domain/events';
import { createEventProducer } from '../core/kafka/producer';
import { createRedis } from '../core/redis/client';
import { publishTicks } from '../services/market-feed/publish';
import { MarketSimulator } from '../services/market-feed/simulator';
import { readOffsets, groupLag, endOffset, retainedMessages, type OffsetsReading } from '../services/pipeline-monitor/probe';
import { pipelineLayout } from '../services/pipeline-monitor/stages';
import { BENCH_STAGES, type BenchEnvironment, type BenchStage } from './environment';
import { startTradeObserver, type Hop, type Stop, type TradeObserver } from './observer';
import type { TimingSummary } from '../core/metrics/stage-timings';
import type { FromPipeline, PipelineProcessArgs, ProcessLoad, StageHealth } from './protocol';

/** Ticks per produce call, as the simulated feed does. */
const PRODUCE_BATCH = 500;
const POLL_MS = 100;
/**
 * Without --rate, the feed sends as fast as the pipeline takes ticks, keeping at most this many
 * sent but not yet through every stage. An unbounded burst would measure only how deep the
 * backlog got, and the trading engine would race through the ticks before any order reached it,
 * leaving no later tick to fill on; a bounded one keeps ticks flowing while orders are in flight,
 * as a market does. A short run gets a quarter of its ticks (at least one produce batch).
 */
export const MAX_IN_FLIGHT = 2_000;

export function inFlightLimit(ticks: number): number {
  return Math.min(MAX_IN_FLIGHT, Math.max(PRODUCE_BATCH, Math.floor(ticks / 4)));
}
/** A run with no progress at all for this long is stuck: give up and say where. */
const STALL_TIMEOUT_MS = 120_000;

export interface PipelineOptions {
  ticks: number;
  /** Ticks per second; undefined for as fast as the pipeline takes them (see inFlightLimit). */
  rate?: number;
  /** Pipeline processes: 1 runs every stage in one, 2 splits them (PROCESS_SPLIT). */
  processes?: 1 | 2;
  onProgress?: (progress: { produced: number; throughAllStages: number }) => void;
  signal?: AbortSignal;
}

export interface PipelineFigures {
  ticks: number;
  /** First tick sent -> every stage drained. */
  elapsedMs: number;
  produceMs: number;
  /** Tick-to-fill latencies in ms, one per fill whose originating tick this run sent. */
  fillLatenciesMs: number[];
  /** Each hop's latencies in ms (see observer.ts). */
  hopLatenciesMs: Record<Hop, number[]>;
  /** Trades sent, those taken while their instrument's previous order was unfilled, the others' tick-to-fill (see pending-orders.ts). */
  pendingOrders: { trades: number; behind: number; aloneFillLatenciesMs: number[] };
  /** Send to arrival at the observer, a consumer in the benchmark's process, per topic (see observer.ts). */
  deliveriesMs: Record<Stop, number[]>;
  fillsSeen: number;
  /** Messages written to each of the namespace's topics during the run, by topic role. */
  events: Record<string, number>;
  deadLetters: number;
  /** Summed over the pipeline processes. */
  pipelinePeakRssBytes: number;
  /**
   * CPU cores each pipeline process kept busy over the run (CPU seconds / seconds), its event-loop
   * delay, and the cores of this (benchmark) process: the feed and the observers.
   */
  load: { pipeline: PipelineProcessLoad[]; benchCpuCores: number; machineCores: number };
  processes: number;
  /** What the pipeline processes ran (see pipelineCode); absent in results written before it was recorded. */
  code?: PipelineCode['from'];
  /** Each stage's counters, and the most it was ever behind on its inputs (the slowest stage has the most). */
  stages: (StageHealth & { peakLag: number })[];
  /** Where each stage's time went: its consumer's waits and processOnce's steps (core/metrics/stage-timings.ts). */
  stageTimings: StageTiming[];
}

/** One pipeline process over a run; `peakRssBytes` is absent in results written before it was kept per process. */
export type PipelineProcessLoad = ProcessLoad & { cpuCores: number; peakRssBytes?: number };

/** One wait or step of one stage, over the run (ms; quantiles are histogram bucket bounds). */
export type StageTiming = { stage: string; what: string } & Omit<TimingSummary, 'labels'>;

/** The stages of each process with two: the first worker of `alpha-panda run` hosts the runner (and the feed). */
export const PROCESS_SPLIT: readonly (readonly BenchStage[])[] = [['strategy-runner'], ['risk-manager', 'trading-engine', 'portfolio-manager']];

/**
 * What the pipeline processes run: the compiled build, as a worker of `alpha-panda run` does, when
 * it matches the sources (`make bench` builds it); otherwise the sources, through the TypeScript
 * loader, which holds some 30 MiB more of each process's memory (the report says which ran).
 */
export function pipelineCode(): PipelineCode {
  return usesBuild()
    ? { from: 'build', entry: BUILD_PIPELINE_PROCESS, execArgv: ['--enable-source-maps'] }
    : { from: 'source', entry: fileURLToPath(new URL('./pipeline-process.ts', import.meta.url)), execArgv: ['--import', import.meta.resolve('tsx')] };
}

export interface PipelineCode {
  from: 'build' | 'source';
  entry: string;
  execArgv: string[];
}

function startPipelineProcess(env: BenchEnvironment, code: PipelineCode, stages?: readonly BenchStage[]): ChildProcess {
  const args: PipelineProcessArgs = { run: env.run, prefix: env.prefix, overrides: env.overrides, ...(stages ? { stages: [...stages] } : {}) };
  return fork(code.entry, [JSON.stringify(args)], {
    // BENCH_CPU_PROFILE_DIR=dir writes a V8 CPU profile of the pipeline process there (open it in
    // Chrome DevTools or speedscope) to see where its time goes.
    execArgv: [...code.execArgv, ...(process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The next message of one type from the child; rejects if it fails or exits first. */
function nextMessage<T extends FromPipeline['type']>(child: ChildProcess, type: T): Promise<Extract<FromPipeline, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromPipeline) => {
      if (message.type === type) {
        cleanup();
        resolve(message as Extract<FromPipeline, { type: T }>);
      } else if (message.type === 'failed') {
        cleanup();
        reject(new Error(`the pipeline's ${message.service} failed: ${message.error}`));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the pipeline process exited (code ${code}) before '${type}'`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Waits until each group has a member (its service joined), so the clock starts with the pipeline up. */
async function waitForGroupsJoined(admin: Admin, groups: string[], failure: Promise<never>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { groups: described } = await Promise.race([admin.describeGroups(groups), failure]);
    if (described.every((group) => group.state === 'Stable' && group.members.length > 0)) return;
    if (Date.now() > deadline) {
      throw new Error(`the pipeline's consumer groups did not join: ${described.map((g) => `${g.groupId} ${g.state}`).join(', ')}`);
    }
    await sleep(200);
  }
}

export async function runPipeline(env: BenchEnvironment, options: PipelineOptions): Promise<PipelineFigures> {
  const layout = pipelineLayout('paper', env.topics, env.ticksTopic, env.groupFor);
  const stages = layout.stages.filter((stage) => stage.group !== null);
  const groups = stages.map((stage) => ({ group: stage.group!, topics: stage.inputs }));
  const code = pipelineCode();
  const children = options.processes === 2 ? PROCESS_SPLIT.map((share) => startPipelineProcess(env, code, share)) : [startPipelineProcess(env, code)];
  const failure = new Promise<never>((_, reject) => {
    for (const child of children) {
      child.on('message', (message: FromPipeline) => {
        if (message.type === 'failed') reject(new Error(`the pipeline's ${message.service} failed: ${message.error}`));
      });
      child.on('exit', (code) => reject(new Error(`a pipeline process exited (code ${code})`)));
    }
  });
  failure.catch(() => undefined);
  const admin = env.kafka.admin();
  const producer = createEventProducer(env.kafka);
  // The feed's last prices go where the pipeline's Redis is, as the market feed's do.
  const feedRedis = createRedis(env.config);
  const tickTimes = new Map<string, number>();
  let observer: TradeObserver | undefined;

  try {
    await Promise.race([Promise.all(children.map((child) => nextMessage(child, 'started'))), failure]);
    await admin.connect();
    await producer.connect();
    await waitForGroupsJoined(admin, groups.map((g) => g.group), failure);
    observer = await startTradeObserver(env, tickTimes);

    const simulator = new MarketSimulator(env.instruments, 42);
    const clock = eventClock(env.config);
    let produced = 0;
    let throughAllStages = 0;
    let producedAt = 0;
    const inFlight = inFlightLimit(options.ticks);
    const startedAt = Date.now();
    const benchCpuAtStart = process.cpuUsage();
    for (const child of children) child.send({ type: 'measure' });
    const feed = (async () => {
      while (produced < options.ticks && !options.signal?.aborted) {
        const due =
          options.rate === undefined
            ? Math.min(PRODUCE_BATCH, inFlight - (produced - throughAllStages))
            : Math.floor(((Date.now() - startedAt) / 1000) * options.rate) - produced;
        if (due <= 0) {
          await sleep(options.rate === undefined ? 5 : Math.max(1, Math.ceil(1000 / options.rate)));
          continue;
        }
        const sentAt = Date.now();
        // The envelope carries the stages' event time; latency is measured on the wall clock.
        const now = clock();
        const batch: Envelope<'tick_received'>[] = [];
        for (let i = 0; i < Math.min(due, PRODUCE_BATCH, options.ticks - produced); i++) {
          const tick = simulator.tick(produced + i, now);
          const envelope = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: tick, now });
          tickTimes.set(envelope.id, sentAt);
          batch.push(envelope);
        }
        await publishTicks({ producer, redis: feedRedis, topic: env.ticksTopic }, batch);
        produced += batch.length;
      }
      producedAt = Date.now();
    })();
    // A failed send ends the run at once rather than as a stall.
    const feedFailure = feed.then(() => new Promise<never>(() => undefined));
    feedFailure.catch(() => undefined);

    // Poll until drained twice in a row with nothing new written in between.
    let drainedAt: number | undefined;
    let previousEnds: string | undefined;
    let lastChange = { signature: '', at: Date.now() };
    let reading: OffsetsReading;
    const peakLag = new Map<string, number>();
    for (;;) {
      await Promise.race([sleep(POLL_MS), failure, feedFailure]);
      if (options.signal?.aborted) throw new Error('benchmark interrupted');
      reading = await Promise.race([readOffsets(admin, layout.topics, groups), failure, feedFailure]);
      const lags = groups.map(({ group, topics }) => groupLag(reading, group, topics));
      groups.forEach(({ group }, i) => peakLag.set(group, Math.max(peakLag.get(group) ?? 0, lags[i]!.total)));
      const behindOnTicks = Math.max(...lags.map((lag) => lag.byTopic[env.ticksTopic] ?? 0));
      throughAllStages = Math.max(0, endOffset(reading, env.ticksTopic) - behindOnTicks);
      options.onProgress?.({ produced, throughAllStages });

      const ends = JSON.stringify(layout.topics.map((topic) => endOffset(reading, topic)));
      const drained = produced >= options.ticks && lags.every((lag) => lag.total === 0);
      if (drained && drainedAt !== undefined && ends === previousEnds) break;
      drainedAt = drained ? (drainedAt ?? Date.now()) : undefined;
      previousEnds = ends;

      const signature = `${produced} ${ends} ${lags.map((lag) => lag.position).join(' ')}`;
      if (signature !== lastChange.signature) lastChange = { signature, at: Date.now() };
      if (Date.now() - lastChange.at > STALL_TIMEOUT_MS) {
        const where = groups.map(({ group }, i) => `${group} ${lags[i]!.total} behind`).join(', ');
        throw new Error(`the pipeline made no progress for ${STALL_TIMEOUT_MS / 1000} s (${where})`);
      }
    }
    await feed;
    // The observer reads on its own; let it see the last fills before the figures are taken.
    const fills = endOffset(reading, env.topics.ordersFilled);
    const observerDeadline = Date.now() + 30_000;
    while (observer.counts.fills < fills && Date.now() < observerDeadline) await sleep(50);

    const dlqReading = await readOffsets(admin, layout.deadLetterTopics, []);
    const events = Object.fromEntries(Object.entries(env.topics).map(([role, topic]) => [role, endOffset(reading, topic)]));
    const deadLetters = layout.deadLetterTopics.reduce((sum, topic) => sum + retainedMessages(dlqReading, topic), 0);

    const stopping = children.map((child) => nextMessage(child, 'stopped'));
    const measuredSeconds = (Date.now() - startedAt) / 1000;
    const benchCpu = process.cpuUsage(benchCpuAtStart);
    for (const child of children) child.send({ type: 'stop' });
    const stopped = await Promise.all(stopping);
    return {
      ticks: options.ticks,
      elapsedMs: drainedAt! - startedAt,
      produceMs: producedAt - startedAt,
      fillLatenciesMs: observer.fillLatenciesMs,
      hopLatenciesMs: observer.hopLatencies(),
      pendingOrders: observer.pendingOrders(),
      deliveriesMs: observer.deliveries,
      fillsSeen: observer.counts.fills,
      events,
      deadLetters,
      pipelinePeakRssBytes: stopped.reduce((sum, each) => sum + each.peakRssBytes, 0),
      processes: children.length,
      code: code.from,
      load: {
        pipeline: stopped.map(({ load, peakRssBytes }) => ({ ...load, cpuCores: load.cpuSeconds / measuredSeconds, peakRssBytes })),
        benchCpuCores: (benchCpu.user + benchCpu.system) / 1e6 / measuredSeconds,
        machineCores: availableParallelism(),
      },
      stages: stopped.flatMap((each) => each.stages).map((stage) => ({ ...stage, peakLag: peakLag.get(env.groupFor(stage.name as BenchStage)) ?? 0 })),
      stageTimings: stageTimingsOf(env, stopped.flatMap((each) => each.timings)),
    };
  } finally {
    await observer?.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    feedRedis.disconnect();
    await admin.disconnect().catch(() => undefined);
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        if (child.connected) child.disconnect();
        await Promise.race([exited, sleep(30_000).then(() => child.kill('SIGKILL'))]);
      }),
    );
  }
}

/** The pipeline processes' timings, each named by its stage (a consumer's waits are labelled by group). */
function stageTimingsOf(env: BenchEnvironment, timings: readonly TimingSummary[]): StageTiming[] {
  const stageOfGroup = new Map(BENCH_STAGES.map((stage) => [env.groupFor(stage), stage as string]));
  return timings.flatMap(({ labels, ...figures }) => {
    const stage = labels.stage ?? stageOfGroup.get(labels.group ?? '');
    const what = labels.wait ?? labels.step;
    return stage && what ? [{ stage, what, ...figures }] : [];
  });
}
