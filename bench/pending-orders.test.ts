import { describe, expect, it } from 'vitest';
import { behindPendingOrder } from './pending-orders';

describe('behindPendingOrder', () => {
  it("takes a trade as behind an order when its tick was sent before its instrument's previous trade was filled", () => {
    const first = { key: 's:1', tickSentAt: 1_000, filledAt: 1_150 };
    const overlapping = { key: 's:1', tickSentAt: 1_100, filledAt: 1_300 };
    const after = { key: 's:1', tickSentAt: 1_400, filledAt: 1_450 };
    const behind = behindPendingOrder([after, overlapping, first]);
    expect([...behind]).toEqual([overlapping]);
  });

  it('judges each strategy-instrument against its own previous trade only', () => {
    const a1 = { key: 's:1', tickSentAt: 1_000, filledAt: 2_000 };
    const b1 = { key: 's:2', tickSentAt: 1_100, filledAt: 1_200 };
    const b2 = { key: 's:2', tickSentAt: 1_500, filledAt: 1_600 };
    expect(behindPendingOrder([a1, b1, b2]).size).toBe(0);
  });

  it('counts a trade behind one that was never filled', () => {
    const unfilled = { key: 's:1', tickSentAt: 1_000 };
    const next = { key: 's:1', tickSentAt: 5_000, filledAt: 5_100 };
    expect([...behindPendingOrder([unfilled, next])]).toEqual([next]);
  });
});
