import { describe, expect, it } from 'vitest';
import { largestProcessRssBytes } from './report';
import type { PipelineRun } from './run';

const MiB = 2 ** 20;
const load = (rss?: number) => ({ cpuSeconds: 1, cpuCores: 0.5, eventLoopDelayMs: { p50: 1, p99: 2, max: 3 }, ...(rss === undefined ? {} : { peakRssBytes: rss }) });
/** The fields the RSS figures read; the rest of a run does not matter to them. */
const run = (processes: number, summed: number, perProcess: (number | undefined)[]) =>
  ({ processes, pipelinePeakRssBytes: summed, load: { pipeline: perProcess.map(load), benchCpuCores: 0.2, machineCores: 2 } }) as unknown as PipelineRun;

describe('largestProcessRssBytes', () => {
  it('is the largest process of several, not their sum', () => {
    expect(largestProcessRssBytes(run(2, 350 * MiB, [160 * MiB, 190 * MiB]))).toBe(190 * MiB);
  });

  it("is the run's figure with one process", () => {
    expect(largestProcessRssBytes(run(1, 280 * MiB, [280 * MiB]))).toBe(280 * MiB);
  });

  it('is unknown for a result of several processes written before RSS was kept per process', () => {
    expect(largestProcessRssBytes(run(2, 490 * MiB, [undefined, undefined]))).toBeNaN();
  });
});
