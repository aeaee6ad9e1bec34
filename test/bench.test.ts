// The benchmark measures trades, not refusals: a short run on the real stack must take every
// signal through to a fill. (After the 15:20 IST square-off the paper engine refuses MIS orders on
// the wall clock, and a benchmark run then reported latency over zero fills.) No figure is
// asserted: speed lives in `npm run bench`, not in tests.
import { describe, expect, it } from 'vitest';
import { BENCH_STAGES } from '../bench/environment';
import { runBenchmark } from '../bench/run';

describe('npm run bench', () => {
  // Paced, so that fills come back between an instrument's signals (a strategy with an order
  // pending places no other), as in the latency runs.
  it('takes every signal of a short run through risk and the paper engine to a fill, at any hour, and says where stages spent their time', async () => {
    const instruments = 3;
    const result = await runBenchmark({ ticks: 600, rate: 150, instruments, latencyRates: [], latencySeconds: 1, processes: [1] });
    const { events, latency, fillsSeen } = result.pipeline;

    expect(events.signalsRaw).toBeGreaterThan(0);
    expect(events.signalsValidated).toBe(events.signalsRaw);
    expect(events.ordersRejected).toBe(0);
    expect(events.ordersSubmitted).toBe(events.signalsValidated);
    // A paper market order fills at once, at its signal's price: every one.
    expect(events.ordersFilled).toBe(events.ordersSubmitted);
    expect(latency.count).toBe(fillsSeen);
    expect(fillsSeen).toBe(events.ordersFilled);
    // The delivery floor beside each hop: one per trade at each topic, as it left the stage.
    const deliveries = result.pipeline.deliveries!;
    expect(deliveries.raw.count).toBe(events.signalsRaw);
    expect(deliveries.filled.count).toBe(fillsSeen);
    expect(deliveries.raw.min).toBeGreaterThanOrEqual(0);
    // Every trade is judged for the order ahead of it, and every fill is counted on one side.
    const pending = result.pipeline.pendingOrders!;
    expect(pending.trades).toBe(events.signalsRaw);
    expect(pending.behind + pending.latencyAlone.count).toBe(fillsSeen);
    // And it says where each stage's time went: every stage fetched events, committed and (but the last) produced.
    const timed = (what: string) => new Set(result.pipeline.stageTimings.filter((t) => t.what === what && t.count > 0).map((t) => t.stage));
    expect(timed('commit')).toEqual(new Set(BENCH_STAGES));
    // The risk manager does not consume the ticks.
    expect(timed('tick-fetched')).toEqual(new Set(BENCH_STAGES.filter((stage) => stage !== 'risk-manager')));
    expect(timed('event-fetched')).toEqual(new Set(BENCH_STAGES));
    expect(timed('queued')).toEqual(new Set(BENCH_STAGES));
    expect(timed('produce')).toEqual(new Set(BENCH_STAGES.filter((stage) => stage !== 'portfolio-manager')));
    // And what it cost: the pipeline process's CPU over the run, its event loop's delay, the feed's CPU.
    const { load } = result.pipeline;
    expect(load.pipeline).toHaveLength(1);
    expect(load.pipeline[0]!.cpuSeconds).toBeGreaterThan(0);
    // Peak RSS is kept per process (the target is per process); with one, it is the run's figure.
    expect(load.pipeline[0]!.peakRssBytes).toBe(result.pipeline.pipelinePeakRssBytes);
    expect(result.pipeline.pipelinePeakRssBytes).toBeGreaterThan(0);
    expect(load.pipeline[0]!.cpuCores).toBeCloseTo((load.pipeline[0]!.cpuSeconds * 1000) / result.pipeline.elapsedMs, 0);
    expect(load.pipeline[0]!.eventLoopDelayMs.p99).toBeGreaterThanOrEqual(load.pipeline[0]!.eventLoopDelayMs.p50);
    expect(load.pipeline[0]!.eventLoopDelayMs.p50).toBeGreaterThan(0);
    expect(load.benchCpuCores).toBeGreaterThan(0);
    expect(load.machineCores).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
