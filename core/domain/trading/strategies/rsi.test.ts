import { describe, expect, it } from 'vitest';
import { held, runPrices } from '../testing';
import { loadStrategy } from './registry';

const load = (parameters: Record<string, unknown> = {}) =>
  loadStrategy({
    id: 'rsi-1',
    namespace: 'paper',
    name: 'RSI',
    strategyType: 'rsi',
    instruments: [738_561],
    parameters: { quantity: 3, period: 3, oversold: 30, overbought: 70, ...parameters },
    isActive: true,
  });

describe('rsi strategy', () => {
  it('buys when RSI crosses back above oversold', () => {
    // changes -100, -100, -100: average gain 0, loss 100 -> RSI 0 at index 3 (seeded)
    // index 4, +100: gain (0 x 2 + 100) / 3 = 33.3, loss (100 x 2 + 0) / 3 = 66.7, RS 0.5 -> RSI 33.3
    // 0 -> 33.3 crosses 30 upwards: BUY
    const signals = runPrices(load(), [10_000, 9_900, 9_800, 9_700, 9_800]);
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[4, 'BUY', 3]]);
    expect(signals[0]!.signal.reason).toContain('0.0 -> 33.3');
  });

  it('sells a long when RSI crosses back below overbought', () => {
    // +100 x 3 -> RSI 100; then -100: gain 66.7, loss 33.3, RS 2 -> RSI 66.7 < 70: SELL
    const signals = runPrices(load(), [10_000, 10_100, 10_200, 10_300, 10_200], 7);
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[4, 'SELL', 7]]);
  });

  it('does not buy while a BUY is pending, nor sell beyond what is held net of pending exits', () => {
    expect(runPrices(load(), [10_000, 9_900, 9_800, 9_700, 9_800], held(0, { buy: 3 }))).toEqual([]);
    const up = [10_000, 10_100, 10_200, 10_300, 10_200];
    expect(runPrices(load(), up, held(7, { sell: 7 }))).toEqual([]);
    expect(runPrices(load(), up, held(7, { sell: 2 })).map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[4, 'SELL', 5]]);
  });

  it('does not fire on entering the zone, nor while RSI stays on one side', () => {
    // falls all the way: RSI stays at 0, never crosses back
    expect(runPrices(load(), [10_000, 9_900, 9_800, 9_700, 9_600, 9_500, 9_400])).toEqual([]);
    // a gentle zig-zag keeps RSI between the levels
    expect(runPrices(load(), [10_000, 10_050, 10_000, 10_050, 10_000, 10_050, 10_000])).toEqual([]);
  });
});
