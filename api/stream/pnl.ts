// The namespace's portfolio totals and their history, pure: what the dashboard's P&L chart and
// figures show. Amounts are integer paise; the value of a portfolio is its cash plus its positions
// at their last prices (a short's proceeds are in its cash, its quantity is negative).
import type { PnlSnapshot } from '../../core/domain/events';

export interface PortfolioTotals {
  strategies: number;
  openPositions: number;
  cash: number;
  /** Positions at their last prices (at their average price while no price is known). */
  marketValue: number;
  /** cash + marketValue. */
  value: number;
  realizedPnl: number;
  unrealizedPnl: number;
  chargesPaid: number;
  /** realizedPnl + unrealizedPnl - chargesPaid. */
  netPnl: number;
  asOf: string | null;
}

type View = Pick<PnlSnapshot, 'cash' | 'realizedPnl' | 'unrealizedPnl' | 'chargesPaid' | 'positions' | 'asOf'>;

export function portfolioTotals(views: readonly View[]): PortfolioTotals {
  let openPositions = 0;
  let cash = 0;
  let marketValue = 0;
  let realizedPnl = 0;
  let unrealizedPnl = 0;
  let chargesPaid = 0;
  let asOf: string | null = null;
  for (const view of views) {
    cash += view.cash;
    realizedPnl += view.realizedPnl;
    unrealizedPnl += view.unrealizedPnl;
    chargesPaid += view.chargesPaid;
    for (const position of view.positions) {
      if (position.quantity === 0) continue;
      openPositions += 1;
      marketValue += position.quantity * (position.lastPrice || position.averagePrice);
    }
    if (asOf === null || Date.parse(view.asOf) > Date.parse(asOf)) asOf = view.asOf;
  }
  return {
    strategies: views.length,
    openPositions,
    cash,
    marketValue,
    value: cash + marketValue,
    realizedPnl,
    unrealizedPnl,
    chargesPaid,
    netPnl: realizedPnl + unrealizedPnl - chargesPaid,
    asOf,
  };
}

/** One point of the chart: epoch seconds (the chart's unit), value and net P&L in paise. */
export interface PnlPoint {
  time: number;
  value: number;
  netPnl: number;
}

/** The latest points, at most one per second (a later one in the same second replaces it). */
export class PnlHistory {
  private readonly list: PnlPoint[] = [];

  constructor(private readonly max = 2_000) {}

  /** Adds the point unless it repeats the last figures; answers whether it was kept. */
  add(point: PnlPoint): boolean {
    const last = this.list[this.list.length - 1];
    if (last && last.value === point.value && last.netPnl === point.netPnl) return false;
    if (last && point.time < last.time) return false;
    if (last && point.time === last.time) this.list[this.list.length - 1] = point;
    else this.list.push(point);
    if (this.list.length > this.max) this.list.splice(0, this.list.length - this.max);
    return true;
  }

  points(): PnlPoint[] {
    return [...this.list];
  }
}

export interface SnapshotRow extends View {
  strategyId: string;
}

/**
 * The namespace's totals after each stored snapshot, in time order: every strategy counts with
 * its latest snapshot at or before that moment.
 */
export function historyFromSnapshots(rows: readonly SnapshotRow[], max?: number): PnlPoint[] {
  const latest = new Map<string, View>();
  const history = new PnlHistory(max);
  const sorted = [...rows].sort((a, b) => Date.parse(a.asOf) - Date.parse(b.asOf));
  for (const row of sorted) {
    latest.set(row.strategyId, row);
    const totals = portfolioTotals([...latest.values()]);
    history.add({ time: Math.floor(Date.parse(row.asOf) / 1000), value: totals.value, netPnl: totals.netPnl });
  }
  return history.points();
}
