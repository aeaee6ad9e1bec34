// Messages between the benchmark and the process that runs the pipeline under test (IPC).
import type { TimingSummary } from '../core/metrics/stage-timings';

export interface PipelineProcessArgs {
  run: string;
  prefix: string;
  /** Added to the environment the configuration is read from (database, Redis, log level). */
  overrides: Record<string, string>;
  /** The stages this process runs (default all); with two processes each runs a share. */
  stages?: string[];
}

export interface StageHealth {
  name: string;
  processed: number;
  deadLettered: number;
}

export type FromPipeline =
  | { type: 'started' }
  | { type: 'failed'; service: string; error: string }
  | {
      type: 'stopped';
      peakRssBytes: number;
      stages: StageHealth[];
      timings: TimingSummary[];
      /** Since `measure`: CPU time (user and system) and how late the event loop ran its timers. */
      load: ProcessLoad;
    };

/** `measure` marks the start of the run's clock; `stop` ends it. */
export type ToPipeline = { type: 'measure' } | { type: 'stop' };

export interface ProcessLoad {
  cpuSeconds: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}
