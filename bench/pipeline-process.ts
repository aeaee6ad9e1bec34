// The paper pipeline under benchmark, in a process of its own like the worker that runs it in
// production, and composed by the worker's own service factory (workers/services.ts) on the
// run's topic prefix, group prefix, database and Redis: strategy runner, risk manager, trading
// engine and portfolio manager, or the share of them in `args.stages`. Started by bench/pipeline.ts with the run's settings as its
// argument; stops when told to and reports its peak memory, its CPU time and event-loop delay
// over the run, and each stage's counters.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { configureLogging } from '../core/logging';
import { stageTimings } from '../core/metrics/stage-timings';
import { Resources } from '../core/resources';
import { createServiceFactory } from '../workers/services';
import { BENCH_STAGES, benchConfig, benchGroupPrefix } from './environment';
import type { FromPipeline, PipelineProcessArgs, ProcessLoad, ToPipeline } from './protocol';

const send = (message: FromPipeline) => process.send?.(message);

/**
 * CPU time and event-loop delay from measure() on: a process near one core of CPU is saturated,
 * and timers running late show its batches waiting for the event loop rather than for I/O.
 */
function loadMeter(): { measure(): void; read(): ProcessLoad } {
  const delay = monitorEventLoopDelay({ resolution: 2 });
  let cpuAtStart = process.cpuUsage();
  const ms = (nanoseconds: number) => nanoseconds / 1e6;
  return {
    measure() {
      cpuAtStart = process.cpuUsage();
      delay.reset();
      delay.enable();
    },
    read() {
      delay.disable();
      const cpu = process.cpuUsage(cpuAtStart);
      return {
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      };
    },
  };
}

async function main(args: PipelineProcessArgs): Promise<void> {
  configureLogging({ level: 'error', console: true });
  const config = benchConfig(args.overrides);
  const resources = new Resources(config);
  const factory = createServiceFactory(config, resources, {
    topicPrefix: args.prefix,
    groupPrefix: benchGroupPrefix(args.run),
    // The groups are new: read what the feed wrote before they joined.
    fromBeginning: true,
  });
  const stages = BENCH_STAGES.filter((stage) => !args.stages || args.stages.includes(stage));
  const services = stages.map((stage) => factory('paper', stage));

  const controller = new AbortController();
  const meter = loadMeter();
  const running = services.map((service) =>
    service.start(controller.signal).catch((error: unknown) => {
      send({ type: 'failed', service: service.name, error: error instanceof Error ? error.message : String(error) });
    }),
  );
  process.on('message', async (message: ToPipeline) => {
    if (message.type === 'measure') return meter.measure();
    if (message.type !== 'stop' || controller.signal.aborted) return;
    const load = meter.read();
    controller.abort();
    await Promise.all(running);
    await resources.close();
    send({
      type: 'stopped',
      // maxRSS is in kilobytes: the most this process ever held resident.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      stages: services.map((service, i) => {
        const health = service.health();
        return { name: stages[i]!, processed: health.processed, deadLettered: health.deadLettered };
      }),
      timings: await stageTimings(),
      load,
    });
    process.disconnect?.();
  });
  // The parent going away (Ctrl-C, a crash) stops the pipeline too.
  process.on('disconnect', () => {
    if (!controller.signal.aborted) controller.abort();
    void Promise.all(running).finally(() => process.exit(0));
  });
  send({ type: 'started' });
}

main(JSON.parse(process.argv[2] ?? '{}') as PipelineProcessArgs).catch((error: unknown) => {
  send({ type: 'failed', service: 'pipeline', error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
