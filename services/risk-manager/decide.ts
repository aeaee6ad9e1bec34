// One batch of the risk manager's stateful inputs, pure: signals are evaluated against every rule
// of core/domain/trading/risk (evaluateSignal) in order, each approval counting towards the
// strategy's daily trades and pending orders before the next signal is judged; fills move
// positions (and pending quantity into them), rejected and cancelled orders release their pending
// quantity, and P&L snapshots replace the portfolio's figures. Returns the next state and the
// decisions to publish, with ids derived from the signals.
//
// A replay after a crash must repeat every decision: each signal is judged at its own event time
// (the envelope's ts, which selects the IST trading day), never the wall clock, and the kill
// switch comes in as the batch's context, which processOnce hands a replay unchanged.
import { createEvent, type Envelope, type SignalRejected, type SignalValidated } from '../../core/domain/events';
import { riskDecisionId } from '../../core/domain/ids';
import type { BrokerNamespace } from '../../core/domain/namespace';
import {
  evaluateSignal,
  recordFill,
  recordOrderEnded,
  recordPnlSnapshot,
  recordValidated,
  setKillSwitch,
  type RiskLimits,
  type RiskState,
} from '../../core/domain/trading/risk';
import type { KillSwitchStatus } from '../../core/redis/kill-switch';
import { strategyInstrumentKey, type NamespaceTopics } from '../../core/domain/topics';
import type { EventMessage } from '../../core/kafka/producer';

export const RISK_MANAGER = 'risk-manager';

export type RiskInput =
  | Envelope<'signal_generated'>
  | Envelope<'order_filled'>
  | Envelope<'order_rejected'>
  | Envelope<'order_cancelled'>
  | Envelope<'pnl_snapshot'>;

export interface DecisionContext {
  namespace: BrokerNamespace;
  topics: Pick<NamespaceTopics, 'signalsValidated' | 'signalsRejected'>;
  limitsOf: (strategyId: string) => RiskLimits;
  /** When the decisions are published (their envelopes' ts); never what they are judged at. */
  now: Date;
  /** The kill switch as the batch's context read it. */
  killSwitch: KillSwitchStatus;
  /** A fill event's place in its strategy-instrument's log (its offset), for snapshots to compare. */
  fillSequenceOf?: (eventId: string) => number | undefined;
  /**
   * Judge each signal at the price of the tick it came from (its reference price) instead of the
   * last prices in the state: paper is a simulation in event time (see service.ts).
   */
  pricesAtSignal?: boolean;
}

export interface Decision {
  signalId: string;
  strategyId: string;
  approved: boolean;
  failedRules: string[];
}

export interface DecidedBatch {
  state: RiskState;
  outputs: EventMessage[];
  decisions: Decision[];
}

export function decideBatch(committed: RiskState, inputs: readonly RiskInput[], context: DecisionContext): DecidedBatch {
  const { killSwitch } = context;
  let state = committed;
  if (killSwitch.active !== state.killSwitch.active || killSwitch.reason !== state.killSwitch.reason) {
    state = setKillSwitch(state, killSwitch.active, killSwitch.reason, killSwitch.setAt ?? state.killSwitch.changedAt ?? context.now.toISOString());
  }
  const outputs: EventMessage[] = [];
  const decisions: Decision[] = [];
  for (const input of inputs) {
    if (input.type === 'order_filled') {
      state = recordFill(state, (input as Envelope<'order_filled'>).data, context.fillSequenceOf?.(input.id));
      continue;
    }
    if (input.type === 'order_rejected' || input.type === 'order_cancelled') {
      state = recordOrderEnded(state, (input as Envelope<'order_rejected' | 'order_cancelled'>).data.orderId);
      continue;
    }
    if (input.type === 'pnl_snapshot') {
      state = recordPnlSnapshot(state, (input as Envelope<'pnl_snapshot'>).data);
      continue;
    }
    const cause = input as Envelope<'signal_generated'>;
    const signal = cause.data;
    const at = cause.ts;
    const judgedAt = context.pricesAtSignal
      ? { ...state, lastTicks: { ...state.lastTicks, [String(signal.instrumentToken)]: { price: signal.referencePrice, at } } }
      : state;
    const decision = evaluateSignal(signal, { state: judgedAt, now: at }, context.limitsOf(signal.strategyId));
    const key = strategyInstrumentKey(signal.strategyId, signal.instrumentToken);
    const id = riskDecisionId(cause.id);
    if (decision.approved) {
      const data: SignalValidated = {
        signal,
        approvedQuantity: decision.approvedQuantity,
        approvedPrice: decision.approvedPrice,
        checks: decision.checks,
      };
      state = recordValidated(state, data, at, id);
      const envelope = createEvent({ type: 'signal_validated', source: RISK_MANAGER, namespace: context.namespace, data, cause, id, now: context.now });
      outputs.push({ topic: context.topics.signalsValidated, key, envelope });
    } else {
      const data: SignalRejected = { signal, checks: decision.checks, failedRules: decision.failedRules };
      const envelope = createEvent({ type: 'signal_rejected', source: RISK_MANAGER, namespace: context.namespace, data, cause, id, now: context.now });
      outputs.push({ topic: context.topics.signalsRejected, key, envelope });
    }
    decisions.push({ signalId: cause.id, strategyId: signal.strategyId, approved: decision.approved, failedRules: decision.approved ? [] : decision.failedRules });
  }
  return { state, outputs, decisions };
}
