// Where the risk manager keeps its state (core/domain/trading/risk/state.ts) in Redis:
//
//   {ns}:risk:state        STRING JSON of the RiskState without lastTicks: { tradingDate (IST),
//                          killSwitch, dailyTrades: { <IST date>: { <strategyId>: approved orders } },
//                          strategies: { <strategyId>: { positions: { <token>: signed qty },
//                          realizedPnl, unrealizedPnl, chargesPaid, dayStartNetPnl, reportedAt,
//                          lastFillAt } } }   (amounts in paise)
//                          written in the MULTI of each batch of signals, fills and snapshots
//   {ns}:risk:kill-switch  the kill switch, see kill-switch.ts
//   (plus the dedup marks {ns}:dedup:risk-manager:<event id> written by processOnce)
//
// The last prices are not part of the stored state: each batch of signals reads the feed's
// (core/redis/last-prices.ts).
import type { ChainableCommander, Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { createRiskState, type RiskState } from '../../core/domain/trading/risk';
import { namespacedKey } from '../../core/redis/keys';

export const riskStateKey = (ns: BrokerNamespace) => namespacedKey(ns, 'risk', 'state');

export async function loadRiskState(redis: Redis, ns: BrokerNamespace, now: string): Promise<RiskState> {
  const text = await redis.get(riskStateKey(ns));
  if (text === null) return createRiskState(now);
  const saved = JSON.parse(text) as Omit<RiskState, 'lastTicks'>;
  if (typeof saved.tradingDate !== 'string' || typeof saved.strategies !== 'object' || typeof saved.dailyTrades !== 'object') {
    throw new Error(`${riskStateKey(ns)} does not hold a risk state; refusing to start with unknown positions and counts`);
  }
  // A state saved before pending orders were tracked has none pending.
  return { ...saved, pendingOrders: saved.pendingOrders ?? {}, lastTicks: {} };
}

/** Adds the state (all but the last prices) to the batch's MULTI. */
export function persistRiskState(multi: ChainableCommander, ns: BrokerNamespace, state: RiskState): void {
  const { lastTicks: _lastTicks, ...rest } = state;
  multi.set(riskStateKey(ns), JSON.stringify(rest));
}
