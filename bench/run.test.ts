import { describe, expect, it } from 'vitest';
import { SIGNAL_EVERY_TICKS } from './environment';
import { latencySignalEvery } from './run';

describe('latencySignalEvery', () => {
  it('spaces the views of each instrument at least a second apart at the run rate, and never closer than the default', () => {
    // 10 instruments at 2,000 ticks/s: 200 ticks an instrument a second.
    expect(latencySignalEvery({ instruments: 10 }, 2_000)).toBe(200);
    // At 200 ticks/s, 20 ticks a second each: the default already is a second.
    expect(latencySignalEvery({ instruments: 10 }, 200)).toBe(SIGNAL_EVERY_TICKS);
    expect(latencySignalEvery({ instruments: 20 }, 100)).toBe(SIGNAL_EVERY_TICKS);
    expect(latencySignalEvery({ instruments: 3 }, 1_000)).toBe(334);
  });

  it('keeps a cadence given with --signal-every', () => {
    expect(latencySignalEvery({ instruments: 10, signalEveryTicks: 20 }, 2_000)).toBe(20);
  });
});
