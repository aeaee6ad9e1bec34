import { describe, expect, it } from 'vitest';
import { historyFromSnapshots, PnlHistory, portfolioTotals } from './pnl';

const position = (quantity: number, lastPrice: number, averagePrice = 100_000) => ({ instrumentToken: 1, quantity, averagePrice, lastPrice, realizedPnl: 0, unrealizedPnl: 0 });

describe('portfolio totals and P&L history', () => {
  it('values a namespace at cash plus positions at their last prices, in paise', () => {
    const totals = portfolioTotals([
      { cash: 99_000_000, realizedPnl: 1_250, unrealizedPnl: 500, chargesPaid: 37, positions: [position(10, 100_050)], asOf: '2026-11-24T10:00:00.000+05:30' },
      // A short: proceeds in cash, negative quantity; a position without a price counts at cost.
      { cash: 101_000_000, realizedPnl: -3, unrealizedPnl: 0, chargesPaid: 40, positions: [position(-5, 0, 200_000), position(0, 1)], asOf: '2026-11-24T10:00:05.000+05:30' },
    ]);
    expect(totals).toEqual({
      strategies: 2,
      openPositions: 2,
      cash: 200_000_000,
      marketValue: 10 * 100_050 - 5 * 200_000,
      value: 200_000_000 + 1_000_500 - 1_000_000,
      realizedPnl: 1_247,
      unrealizedPnl: 500,
      chargesPaid: 77,
      netPnl: 1_247 + 500 - 77,
      asOf: '2026-11-24T10:00:05.000+05:30',
    });
  });

  it('keeps one point a second, skips repeats, and rebuilds the totals from stored snapshots', () => {
    const history = new PnlHistory(3);
    expect(history.add({ time: 10, value: 1, netPnl: 0 })).toBe(true);
    expect(history.add({ time: 11, value: 1, netPnl: 0 })).toBe(false);
    expect(history.add({ time: 11, value: 2, netPnl: 1 })).toBe(true);
    expect(history.add({ time: 11, value: 3, netPnl: 2 })).toBe(true);
    history.add({ time: 12, value: 4, netPnl: 3 });
    history.add({ time: 13, value: 5, netPnl: 4 });
    expect(history.points().map((p) => p.time)).toEqual([11, 12, 13]);

    const snap = (strategyId: string, at: string, cash: number, realizedPnl: number) => ({ strategyId, cash, realizedPnl, unrealizedPnl: 0, chargesPaid: 0, positions: [], asOf: at });
    expect(
      historyFromSnapshots([
        snap('b', '2026-11-24T04:31:00Z', 500, 5),
        snap('a', '2026-11-24T04:30:00Z', 1_000, 0),
        snap('a', '2026-11-24T04:32:00Z', 1_100, 100),
      ]),
    ).toEqual([
      { time: Date.parse('2026-11-24T04:30:00Z') / 1000, value: 1_000, netPnl: 0 },
      { time: Date.parse('2026-11-24T04:31:00Z') / 1000, value: 1_500, netPnl: 5 },
      { time: Date.parse('2026-11-24T04:32:00Z') / 1000, value: 1_600, netPnl: 105 },
    ]);
  });
});
