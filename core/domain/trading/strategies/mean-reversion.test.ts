import { describe, expect, it } from 'vitest';
import { held, runPrices } from '../testing';
import { loadStrategy } from './registry';

const load = (parameters: Record<string, unknown> = {}) =>
  loadStrategy({
    id: 'mr-1',
    namespace: 'paper',
    name: 'Mean reversion',
    strategyType: 'mean_reversion',
    instruments: [738_561],
    parameters: { quantity: 5, bandPeriod: 5, bandStdDev: 2, rsiPeriod: 3, oversold: 30, overbought: 70, ...parameters },
    isActive: true,
  });

// 0-7 oscillate around ₹1,000; 8-9 drop; 10-12 rally.
// index 8: bands of prices 3..7 (100000, 100100, 99900, 100000, 100100): mean 100020, population
// sd sqrt(28000 / 5) = 74.83, lower 99870.3; 99000 is below it and RSI(3) = 11.7 < 30.
// index 9: still below its band (98986.7) with RSI 7.5: same zone, no repeat.
// index 11: 101500 above the upper band 100818.6 with RSI 81.6 > 70; index 12 stays above.
const PRICES = [100_000, 100_100, 99_900, 100_000, 100_100, 99_900, 100_000, 100_100, 99_000, 98_500, 100_000, 101_500, 102_000];

describe('mean reversion strategy', () => {
  it('buys once when the price falls below the lower band with RSI oversold', () => {
    const signals = runPrices(load(), PRICES.slice(0, 10), 0);
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[8, 'BUY', 5]]);
    expect(signals[0]!.signal.reason).toMatch(/below lower band 99870\.3 with RSI 11\.7 < 30/);
  });

  it('sells the holding above the upper band with RSI overbought', () => {
    const signals = runPrices(load(), PRICES, (index) => (index >= 10 ? 5 : 0));
    expect(signals.map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([
      [8, 'BUY', 5],
      [11, 'SELL', 5],
    ]);
  });

  it('neither sells a pending BUY nor sells twice while its exit is pending', () => {
    // The BUY at 8 rests unfilled: the SELL view at 11 has nothing held to sell.
    const resting = runPrices(load(), PRICES, (index) => (index > 8 ? held(0, { buy: 5 }) : 0));
    expect(resting.map((s) => [s.index, s.signal.side])).toEqual([[8, 'BUY']]);
    // Held 5: the SELL view at 11 exits them, unless a SELL of 5 is pending already.
    expect(runPrices(load(), PRICES, 5).map((s) => [s.index, s.signal.side, s.signal.quantity])).toEqual([[11, 'SELL', 5]]);
    expect(runPrices(load(), PRICES, held(5, { sell: 5 }))).toEqual([]);
  });

  it('does not buy below the band while a BUY is already pending', () => {
    expect(runPrices(load(), PRICES.slice(0, 10), held(0, { buy: 5 }))).toEqual([]);
  });

  it('needs both conditions: band alone or RSI alone is not enough', () => {
    // RSI never gets below 5, so the band breaks alone do nothing
    expect(runPrices(load({ oversold: 5, overbought: 95 }), PRICES, 5)).toEqual([]);
    // ten standard deviations: the price never leaves the band although RSI is extreme
    expect(runPrices(load({ bandStdDev: 10 }), PRICES, 5)).toEqual([]);
  });

  it('stays quiet while the price oscillates inside the band', () => {
    expect(runPrices(load(), PRICES.slice(0, 8), 0)).toEqual([]);
  });

  it('rejects oversold above overbought', () => {
    expect(() => load({ oversold: 80, overbought: 70 })).toThrow(/parameters\.oversold: oversold must be below overbought/);
  });
});
