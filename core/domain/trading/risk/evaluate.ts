// Pre-trade risk evaluation of one signal: all rules run, and the signal is approved only when
// every one passes. Pure: the caller records the outcome with recordValidated afterwards.
import type { RuleResult, Signal } from '../../events';
import { paise, type Paise } from '../../money';
import type { RiskLimits } from './limits';
import { RISK_RULES, RULES, type RiskRuleName } from './rules';
import { pendingOf, positionOf, rollover, strategyView, tradesOn, type RiskState } from './state';

export interface RiskContext {
  state: RiskState;
  /** Evaluation time (ISO with zone); selects the IST trading day for daily limits. */
  now: string;
}

export type RiskDecision =
  | { approved: true; approvedQuantity: number; approvedPrice: Paise; checks: RuleResult[] }
  | { approved: false; checks: RuleResult[]; failedRules: RiskRuleName[] };

/**
 * The price an order is valued and approved at: its limit (or stop trigger) when it has one,
 * otherwise the instrument's last tick, falling back to the signal's reference price.
 */
export function approvalPrice(signal: Signal, lastTickPrice: number | undefined): Paise {
  return paise(signal.limitPrice ?? signal.triggerPrice ?? lastTickPrice ?? signal.referencePrice);
}

export function evaluateSignal(signal: Signal, context: RiskContext, limits: RiskLimits): RiskDecision {
  const state = rollover(context.state, context.now);
  const lastTick = state.lastTicks[String(signal.instrumentToken)];
  const orderPrice = approvalPrice(signal, lastTick?.price);
  const input = {
    signal,
    limits,
    state,
    lastTick,
    view: strategyView(state, signal.strategyId),
    position: positionOf(state, signal.strategyId, signal.instrumentToken),
    pending: pendingOf(state, signal.strategyId, signal.instrumentToken),
    orderPrice,
    tradesToday: tradesOn(state, signal.strategyId, context.now),
  };
  const checks = RISK_RULES.map((name) => RULES[name](input));
  const failedRules = checks.filter((check) => !check.passed).map((check) => check.rule as RiskRuleName);
  if (failedRules.length > 0) return { approved: false, checks, failedRules };
  return { approved: true, approvedQuantity: signal.quantity, approvedPrice: orderPrice, checks };
}
