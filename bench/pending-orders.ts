// Which trades of a run were taken while their strategy-instrument's previous order was still
// unfilled. The strategy runner holds such a view until that order's outcome (one market order at
// a time per strategy and instrument, services/strategy-runner/deferred.ts), so its tick-to-fill
// holds a wait of the workload's making, a round trip per order ahead of it, and not the
// pipeline's speed: with views of one instrument closer together than a trade's round trip, that
// queue grows for as long as the run lasts. The report gives these trades apart, and the
// tick-to-fill of the others.

export interface TradeTimes {
  /** The trade's strategy-instrument (the key of its messages). */
  key: string;
  /** When the benchmark sent the tick the view was taken on (ms since the epoch). */
  tickSentAt: number;
  /** The fill's Kafka timestamp; undefined while unfilled. */
  filledAt?: number;
}

/**
 * The trades sent while the previous trade of the same key (by tick send time) was not filled yet.
 * A trade whose previous one is never filled is counted too: it could only wait.
 */
export function behindPendingOrder<T extends TradeTimes>(trades: readonly T[]): Set<T> {
  const byKey = new Map<string, T[]>();
  for (const trade of trades) {
    const list = byKey.get(trade.key) ?? [];
    list.push(trade);
    byKey.set(trade.key, list);
  }
  const behind = new Set<T>();
  for (const list of byKey.values()) {
    list.sort((a, b) => a.tickSentAt - b.tickSentAt);
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1]!;
      if (previous.filledAt === undefined || previous.filledAt > list[i]!.tickSentAt) behind.add(list[i]!);
    }
  }
  return behind;
}
