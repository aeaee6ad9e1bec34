import { describe, expect, it } from 'vitest';
import { held, makeTick, runPrices } from '../testing';
import { lowFrequencyDemo, lowFrequencyDemoParameters } from './low-frequency-demo';
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
  it('signals every N ticks, alternating BUY and SELL views whatever the prices', () => {
    const prices = [100_000, 100_000, 100_000, 200_000, 50_000, 100_000, 100_000, 100_000, 100_000, 100_000];
    // The BUY at 2 fills before the next tick; the SELL at 5 closes it.
    const signals = runPrices(load(), prices, (index) => (index > 2 && index <= 5 ? 1 : 0));
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([
      [2, 'BUY', 1],
      [5, 'SELL', 1],
      [8, 'BUY', 1],
    ]);
  });

  it('shifts each instrument\'s schedule by its token when spreading by instrument', () => {
    const viewsAt = (instrumentToken: number, spreadByInstrument: boolean) => {
      const parameters = lowFrequencyDemoParameters.parse({ quantity: 1, everyTicks: 3, spreadByInstrument });
      let state = lowFrequencyDemo.initialState(parameters);
      const at: [number, string][] = [];
      for (let index = 0; index < 9; index++) {
        const step = lowFrequencyDemo.onTick(parameters, state, makeTick(100_000, { instrumentToken }));
        state = step.state;
        if (step.view) at.push([index, step.view.direction]);
      }
      return at;
    };
    // 738,562 mod 3 = 1: its views come on its 2nd, 5th and 8th ticks instead of the 3rd, 6th and 9th.
    expect(viewsAt(738_562, false)).toEqual([[2, 'BUY'], [5, 'SELL'], [8, 'BUY']]);
    expect(viewsAt(738_562, true)).toEqual([[1, 'BUY'], [4, 'SELL'], [7, 'BUY']]);
    // 738,561 mod 3 = 0: unchanged.
    expect(viewsAt(738_561, true)).toEqual([[2, 'BUY'], [5, 'SELL'], [8, 'BUY']]);
  });

  it('does not sell what it does not hold when shorting is not allowed', () => {
    const prices = Array.from({ length: 9 }, () => 100_000);
    // Nothing filled (its BUYs were rejected, say): the SELL views would open shorts.
    expect(runPrices(load(), prices, 0).map((s) => [s.index, s.signal.side])).toEqual([
      [2, 'BUY'],
      [8, 'BUY'],
    ]);
    // Held 1 with its exit pending: no second SELL.
    expect(runPrices(load(), prices, held(1, { sell: 1 }))).toEqual([]);
  });

  it('opens shorts on its SELL views when allowed', () => {
    const signals = runPrices(load({ allowShort: true, stopLossBps: 50 }), Array.from({ length: 6 }, () => 100_000), 0);
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([
      [2, 'BUY', 1],
      [5, 'SELL', 1],
    ]);
    // An opening SELL is protected above the entry.
    expect(signals[1]!.signal.stopLossPrice).toBe(100_500);
  });

  it('does not enter again while its previous signal is pending', () => {
    const prices = Array.from({ length: 9 }, () => 100_000);
    const signals = runPrices(load({ orderType: 'LIMIT', allowShort: true }), prices, (index) => (index > 2 ? held(0, { buy: 1 }) : 0));
    expect(signals.map((s) => [s.index, s.signal.side])).toEqual([[2, 'BUY']]);
  });

  it('attaches stop-loss and take-profit to its opening signals only', () => {
    const signals = runPrices(load({ everyTicks: 1, stopLossBps: 50, takeProfitBps: 100 }), [100_000, 100_000], (index) => index);
    // 100000 - 0.5% = 99500; + 1% = 101000
    expect(signals[0]!.signal).toMatchObject({ side: 'BUY', stopLossPrice: 99_500, takeProfitPrice: 101_000 });
    expect(signals[1]!.signal).toMatchObject({ side: 'SELL', quantity: 1 });
    expect(signals[1]!.signal.stopLossPrice).toBeUndefined();
  });

  it('stays quiet before the Nth tick', () => {
    expect(runPrices(load({ everyTicks: 5 }), [100_000, 100_000, 100_000, 100_000])).toEqual([]);
  });
});
