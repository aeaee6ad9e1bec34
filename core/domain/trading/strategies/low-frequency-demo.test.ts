import { describe, expect, it } from 'vitest';
import { runPrices } from '../testing';
import { loadStrategy } from './registry';

const load = (parameters: Record<string, unknown> = {}) =>
  loadStrategy({
    id: 'demo-1',
    namespace: 'paper',
    name: 'Demo',
    strategyType: 'low_frequency_demo',
    instruments: [738_561],
    parameters: { quantity: 1, everyTicks: 3, ...parameters },
    isActive: true,
  });

describe('low frequency demo strategy', () => {
  it('signals every N ticks, alternating BUY and SELL, whatever the prices', () => {
    const prices = [100_000, 100_000, 100_000, 200_000, 50_000, 100_000, 100_000, 100_000, 100_000, 100_000];
    const signals = runPrices(load(), prices);
    expect(signals.map((s) => [s.index, s.signal.side])).toEqual([
      [2, 'BUY'],
      [5, 'SELL'],
      [8, 'BUY'],
    ]);
  });

  it('attaches stop-loss and take-profit to its BUY signals only', () => {
    const signals = runPrices(load({ everyTicks: 1, stopLossBps: 50, takeProfitBps: 100 }), [100_000, 100_000]);
    // 100000 - 0.5% = 99500; + 1% = 101000
    expect(signals[0]!.signal).toMatchObject({ side: 'BUY', stopLossPrice: 99_500, takeProfitPrice: 101_000 });
    expect(signals[1]!.signal.side).toBe('SELL');
    expect(signals[1]!.signal.stopLossPrice).toBeUndefined();
  });

  it('stays quiet before the Nth tick', () => {
    expect(runPrices(load({ everyTicks: 5 }), [100_000, 100_000, 100_000, 100_000])).toEqual([]);
  });
});
