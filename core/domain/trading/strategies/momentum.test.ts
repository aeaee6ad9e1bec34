import { describe, expect, it } from 'vitest';
import { held, runPrices } from '../testing';
import { loadStrategy } from './registry';

const load = (parameters: Record<string, unknown>) =>
  loadStrategy({
    id: 'mom-1',
    namespace: 'paper',
    name: 'Momentum',
    strategyType: 'momentum',
    instruments: [738_561],
    parameters: { quantity: 10, lookbackTicks: 3, thresholdBps: 100, ...parameters },
    isActive: true,
  });

describe('momentum strategy', () => {
  it('buys once when the price rises by the threshold over the lookback, not again while it keeps rising', () => {
    // index 4: 101000 vs 100000 three ticks earlier = +100 bps -> BUY; 5 and 6 keep rising: no repeat.
    const prices = [100_000, 100_000, 100_000, 100_000, 101_000, 101_500, 102_000];
    const signals = runPrices(load({}), prices);
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[4, 'BUY', 10]]);
    const { signal } = signals[0]!;
    expect(signal).toMatchObject({
      strategyId: 'mom-1',
      instrumentToken: 738_561,
      orderType: 'MARKET',
      product: 'MIS',
      referencePrice: 101_000,
    });
    expect(signal.reason).toContain('100.0 bps');
  });

  it('stays quiet below the threshold and before the lookback is full', () => {
    // +99 bps at most: 100000 -> 100990
    const prices = [100_000, 100_500, 100_990, 100_990, 100_990, 100_500];
    expect(runPrices(load({}), prices)).toEqual([]);
    // the rise happens within the first lookback ticks: nothing can be compared yet
    expect(runPrices(load({ lookbackTicks: 5 }), [100_000, 110_000, 120_000])).toEqual([]);
  });

  it('fires again on a new edge after the condition went away', () => {
    const prices = [100_000, 100_000, 100_000, 101_000, 101_000, 101_000, 101_000, 102_100];
    // index 3: 101000 vs 100000 = +100 bps -> BUY; 4 and 5 still compare with 100000 -> up, no repeat;
    // index 6: 101000 vs 101000 -> flat; index 7: 102100 vs 101000 = +108.9 bps -> up again -> BUY.
    const signals = runPrices(load({}), prices);
    expect(signals.map((s) => s.index)).toEqual([3, 7]);
  });

  it('sells a falling price only when holding, closing the whole long', () => {
    const prices = [100_000, 100_000, 100_000, 99_000];
    expect(runPrices(load({}), prices, 0)).toEqual([]);
    const signals = runPrices(load({}), prices, 25);
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[3, 'SELL', 25]]);
    expect(signals[0]!.signal.stopLossPrice).toBeUndefined();
  });

  it('opens a short on a fall when allowed, with stop-loss above and take-profit below', () => {
    const prices = [100_000, 100_000, 100_000, 99_000];
    const [first] = runPrices(load({ allowShort: true, stopLossBps: 100, takeProfitBps: 200 }), prices, 0);
    // 99000 + 1% = 99990; 99000 - 2% = 97020 (multiples of the 5-paise tick)
    expect(first!.signal).toMatchObject({ side: 'SELL', quantity: 10, stopLossPrice: 99_990, takeProfitPrice: 97_020 });
  });

  it('does not buy again while already long', () => {
    const prices = [100_000, 100_000, 100_000, 101_000];
    expect(runPrices(load({}), prices, 10)).toEqual([]);
  });

  it('does not buy a second time while its first BUY is pending, on a new edge either', () => {
    const prices = [100_000, 100_000, 100_000, 101_000, 101_000, 101_000, 101_000, 102_100];
    // Flat, the BUYs at 3 and 7 both open (see 'fires again on a new edge'); with the first
    // resting unfilled from index 4 on, the second edge is no entry.
    const signals = runPrices(load({ orderType: 'LIMIT' }), prices, (index) => (index > 3 ? held(0, { buy: 10 }) : 0));
    expect(signals.map((s) => [s.index, s.signal.side])).toEqual([[3, 'BUY']]);
  });

  it('sells only what is held net of the exits already pending', () => {
    const prices = [100_000, 100_000, 100_000, 99_000];
    expect(runPrices(load({}), prices, held(25, { sell: 25 }))).toEqual([]);
    const signals = runPrices(load({}), prices, held(25, { sell: 10 }));
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[3, 'SELL', 15]]);
    // A pending BUY is not a holding: nothing to sell, and no short beside it.
    expect(runPrices(load({ allowShort: true }), prices, held(0, { buy: 10 }))).toEqual([]);
  });

  it('places a LIMIT at the last price when configured', () => {
    const [first] = runPrices(load({ orderType: 'LIMIT' }), [100_000, 100_000, 100_000, 101_000]);
    expect(first!.signal).toMatchObject({ orderType: 'LIMIT', limitPrice: 101_000 });
  });
});
