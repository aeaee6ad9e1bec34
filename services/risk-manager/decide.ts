// One batch of the risk manager's stateful inputs, pure: signals are evaluated against every rule
// of core/domain/trading/risk (evaluateSignal) in order, each approval counting towards the
// strategy's daily trades before the next signal is judged; fills move positions and P&L
// snapshots replace the portfolio's figures (recordFill, recordPnlSnapshot). Returns the next
// state and the decisions to publish, with ids derived from the signals so a replay repeats them.
import { createEvent, type Envelope, type SignalRejected, type SignalValidated } from '../../core/domain/events';
import { derivedEventId } from '../../core/domain/ids';
import type { BrokerNamespace } from '../../core/domain/namespace';
import {
  evaluateSignal,
  recordFill,
  recordPnlSnapshot,
  recordValidated,
  rollover,
  type RiskLimits,
  type RiskState,
} from '../../core/domain/trading/risk';
import { strategyInstrumentKey, type NamespaceTopics } from '../../core/domain/topics';
import type { EventMessage } from '../../core/kafka/producer';

export const RISK_MANAGER = 'risk-manager';
/** Discriminator of the decision's id: validated or rejected, a signal gets one decision id. */
const DECISION = 'risk-decision';

export type RiskInput = Envelope<'signal_generated'> | Envelope<'order_filled'> | Envelope<'pnl_snapshot'>;

export interface DecisionContext {
  namespace: BrokerNamespace;
  topics: Pick<NamespaceTopics, 'signalsValidated' | 'signalsRejected'>;
  limitsOf: (strategyId: string) => RiskLimits;
  /** Evaluation time; its IST date is the trading day of the daily limits. */
  now: Date;
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
  const at = context.now.toISOString();
  let state = rollover(committed, at);
  const outputs: EventMessage[] = [];
  const decisions: Decision[] = [];
  for (const input of inputs) {
    if (input.type === 'order_filled') {
      state = recordFill(state, (input as Envelope<'order_filled'>).data);
      continue;
    }
    if (input.type === 'pnl_snapshot') {
      state = recordPnlSnapshot(state, (input as Envelope<'pnl_snapshot'>).data);
      continue;
    }
    const cause = input as Envelope<'signal_generated'>;
    const signal = cause.data;
    const decision = evaluateSignal(signal, { state, now: at }, context.limitsOf(signal.strategyId));
    const key = strategyInstrumentKey(signal.strategyId, signal.instrumentToken);
    const id = derivedEventId(cause.id, DECISION);
    if (decision.approved) {
      const data: SignalValidated = {
        signal,
        approvedQuantity: decision.approvedQuantity,
        approvedPrice: decision.approvedPrice,
        checks: decision.checks,
      };
      state = recordValidated(state, data, at);
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
