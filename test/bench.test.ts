// The benchmark measures trades, not refusals: a short run on the real stack must take every
// signal through to a fill. (After the 15:20 IST square-off the paper engine refuses MIS orders on
// the wall clock, and a benchmark run then reported latency over zero fills.) No figure is
// asserted: speed lives in `npm run bench`, not in tests.
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../bench/run';

describe('npm run bench', () => {
  // Paced, so that fills come back between an instrument's signals (a strategy with an order
  // pending places no other), as in the latency runs.
  it('takes every signal of a short run through risk and the paper engine to a fill, at any hour', async () => {
    const instruments = 3;
    const result = await runBenchmark({ ticks: 600, rate: 150, instruments, latencyRates: [], latencySeconds: 1, processes: [1] });
    const { events, latency, fillsSeen } = result.pipeline;

    expect(events.signalsRaw).toBeGreaterThan(0);
    expect(events.signalsValidated).toBe(events.signalsRaw);
    expect(events.ordersRejected).toBe(0);
    expect(events.ordersSubmitted).toBe(events.signalsValidated);
    // A market order fills on its instrument's next tick: only each instrument's last may wait.
    expect(events.ordersFilled).toBeGreaterThanOrEqual(events.ordersSubmitted! - instruments);
    expect(latency.count).toBe(fillsSeen);
    expect(fillsSeen).toBe(events.ordersFilled);
  }, 180_000);
});
