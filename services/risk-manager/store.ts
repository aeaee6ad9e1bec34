// Where the risk manager keeps its state (core/domain/trading/risk/state.ts) in Redis:
//
//   {ns}:risk:state        STRING JSON of the RiskState without lastTicks: { tradingDate (IST),
//                          killSwitch, dailyTrades: { <IST date>: { <strategyId>: approved orders } },
//                          strategies: { <strategyId>: { positions: { <token>: signed qty },
//                          realizedPnl, unrealizedPnl, chargesPaid, dayStartNetPnl, reportedAt,
//                          lastFillAt } } }   (amounts in paise)
//                          written in the MULTI of each batch of signals, fills and snapshots
//   {ns}:risk:last-ticks   HASH <instrument token> -> JSON { price (paise), at (ISO time) }
//                          written once per batch of ticks, only the instruments that ticked
//   {ns}:risk:kill-switch  the kill switch, see kill-switch.ts
//   (plus the dedup marks {ns}:dedup:risk-manager:<event id> written by processOnce)
//
// The last prices live apart from the rest because they change with every tick: a batch of ticks
// writes a few hash fields rather than the whole state.
import type { ChainableCommander, Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { createRiskState, type RiskState } from '../../core/domain/trading/risk';
import { namespacedKey } from '../../core/redis/keys';

export const riskStateKey = (ns: BrokerNamespace) => namespacedKey(ns, 'risk', 'state');
export const lastTicksKey = (ns: BrokerNamespace) => namespacedKey(ns, 'risk', 'last-ticks');

export type LastTick = RiskState['lastTicks'][string];

export async function loadRiskState(redis: Redis, ns: BrokerNamespace, now: string): Promise<RiskState> {
  const [text, ticks] = await Promise.all([redis.get(riskStateKey(ns)), redis.hgetall(lastTicksKey(ns))]);
  const lastTicks: Record<string, LastTick> = {};
  for (const [token, value] of Object.entries(ticks)) lastTicks[token] = JSON.parse(value) as LastTick;
  if (text === null) return { ...createRiskState(now), lastTicks };
  const saved = JSON.parse(text) as Omit<RiskState, 'lastTicks'>;
  if (typeof saved.tradingDate !== 'string' || typeof saved.strategies !== 'object' || typeof saved.dailyTrades !== 'object') {
    throw new Error(`${riskStateKey(ns)} does not hold a risk state; refusing to start with unknown positions and counts`);
  }
  // A state saved before pending orders were tracked has none pending.
  return { ...saved, pendingOrders: saved.pendingOrders ?? {}, lastTicks };
}

/** Adds the state (all but the last prices) to the batch's MULTI. */
export function persistRiskState(multi: ChainableCommander, ns: BrokerNamespace, state: RiskState): void {
  const { lastTicks: _lastTicks, ...rest } = state;
  multi.set(riskStateKey(ns), JSON.stringify(rest));
}

export function persistLastTicks(multi: ChainableCommander, ns: BrokerNamespace, ticks: ReadonlyMap<string, LastTick>): void {
  if (ticks.size === 0) return;
  const values: Record<string, string> = {};
  for (const [token, tick] of ticks) values[token] = JSON.stringify(tick);
  multi.hset(lastTicksKey(ns), values);
}
