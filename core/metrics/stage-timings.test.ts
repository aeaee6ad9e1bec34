import { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { recordStageStep, stageTimings, summarizeHistogram } from './stage-timings';

describe('summarizeHistogram', () => {
  it('gives each series its count, mean and the bucket bounds holding p50, p90 and p99, in ms', async () => {
    const histogram = new Histogram({ name: 'test_seconds', help: 'test', labelNames: ['stage'], buckets: [0.001, 0.01, 0.1], registers: [] });
    // 90 fast observations and 10 slow ones for the runner; nothing for the engine.
    for (let i = 0; i < 90; i++) histogram.observe({ stage: 'runner' }, 0.0005);
    for (let i = 0; i < 10; i++) histogram.observe({ stage: 'runner' }, 0.05);
    histogram.observe({ stage: 'risk' }, 0.5); // past the last bucket
    const summaries = summarizeHistogram(await histogram.get());
    expect(summaries).toHaveLength(2);
    const runner = summaries.find((s) => s.labels.stage === 'runner')!;
    expect(runner.count).toBe(100);
    expect(runner.meanMs).toBeCloseTo((90 * 0.5 + 10 * 50) / 100, 6);
    expect([runner.p50Ms, runner.p90Ms, runner.p99Ms]).toEqual([1, 1, 100]);
    const risk = summaries.find((s) => s.labels.stage === 'risk')!;
    expect(risk.p99Ms).toBe(Infinity);
  });
});

describe('stageTimings', () => {
  it("reads back what the process recorded, by stage and step", async () => {
    recordStageStep('paper', 'timings-test', 'commit', 4);
    recordStageStep('paper', 'timings-test', 'commit', 6);
    const commit = (await stageTimings()).find((t) => t.labels.stage === 'timings-test' && t.labels.step === 'commit');
    expect(commit).toMatchObject({ count: 2, meanMs: 5, p50Ms: 5, p99Ms: 7.5 });
  });
});
