// The risk manager's batch decisions, pure: pending orders count towards exposure, the kill switch
// halts new exposure but lets exits through, and decisions follow event time so a replay repeats them.
import { describe, expect, it } from 'vitest';
import { createEvent, type Envelope, type OrderFilled, type Signal } from '../../core/domain/events';
import { orderIdFor, riskDecisionId } from '../../core/domain/ids';
import { namespaceTopics } from '../../core/domain/topics';
import { NO_CHARGES } from '../../core/domain/trading/charges';
import { createRiskState, recordFill, recordTick, type RiskLimits, type RiskState } from '../../core/domain/trading/risk';
import { makeSignal, makeTick, RELIANCE } from '../../core/domain/trading/testing';
import { decideBatch, type DecisionContext, type RiskInput } from './decide';

const MORNING = new Date('2026-11-24T10:00:00+05:30');
const LIMITS: RiskLimits = {
  maxPositionPerInstrument: 10,
  maxOrderValue: 50_000_000,
  maxDailyTradesPerStrategy: 100,
  priceBandBps: 500,
  maxDailyLossPerStrategy: 10_000_000,
};

const context = (overrides: Partial<DecisionContext> = {}): DecisionContext => ({
  namespace: 'paper',
  topics: namespaceTopics('paper'),
  limitsOf: () => LIMITS,
  now: MORNING,
  killSwitch: { active: false, reason: null, setAt: null },
  ...overrides,
});

const signalEvent = (overrides: Partial<Signal>, at = MORNING) =>
  createEvent({ type: 'signal_generated', source: 'strategy-runner', namespace: 'paper', data: makeSignal(overrides), now: at });

/** The id of the order the engine places for an approved signal. */
const orderOf = (signal: Envelope) => orderIdFor(riskDecisionId(signal.id));

const fillOf = (signal: Envelope<'signal_generated'>, quantity: number, remaining: number): Envelope<'order_filled'> => {
  const data: OrderFilled = {
    orderId: orderOf(signal),
    strategyId: signal.data.strategyId,
    instrumentToken: signal.data.instrumentToken,
    tradingsymbol: signal.data.tradingsymbol,
    side: signal.data.side,
    product: signal.data.product,
    fillId: `${orderOf(signal)}-${remaining}`,
    quantity,
    price: 250_000,
    cumulativeQuantity: signal.data.quantity - remaining,
    remainingQuantity: remaining,
    charges: NO_CHARGES,
    filledAt: MORNING.toISOString(),
  };
  return createEvent({ type: 'order_filled', source: 'trading-engine', namespace: 'paper', data, now: MORNING });
};

const cancelledOf = (signal: Envelope<'signal_generated'>, quantity: number): Envelope<'order_cancelled'> =>
  createEvent({
    type: 'order_cancelled',
    source: 'trading-engine',
    namespace: 'paper',
    data: {
      orderId: orderOf(signal),
      strategyId: signal.data.strategyId,
      instrumentToken: signal.data.instrumentToken,
      tradingsymbol: signal.data.tradingsymbol,
      side: signal.data.side,
      product: signal.data.product,
      quantity,
      reason: 'expired at market close',
      cancelledAt: MORNING.toISOString(),
    },
    now: MORNING,
  });

const withTick = (): RiskState => recordTick(createRiskState(MORNING.toISOString()), makeTick(250_000), MORNING.toISOString());

const holding = (quantity: number): RiskState =>
  recordFill(withTick(), {
    orderId: 'earlier',
    strategyId: 'momentum-1',
    instrumentToken: RELIANCE,
    tradingsymbol: 'RELIANCE',
    side: quantity > 0 ? 'BUY' : 'SELL',
    product: 'MIS',
    fillId: 'earlier-1',
    quantity: Math.abs(quantity),
    price: 250_000,
    cumulativeQuantity: Math.abs(quantity),
    remainingQuantity: 0,
    charges: NO_CHARGES,
    filledAt: MORNING.toISOString(),
  });

const approvals = (state: RiskState, inputs: RiskInput[], ctx = context()) =>
  decideBatch(state, inputs, ctx).decisions.map((d) => (d.approved ? 'approved' : d.failedRules.join(',')));

describe('risk decisions count orders approved but not filled yet', () => {
  const limitBuy = { orderType: 'LIMIT' as const, limitPrice: 250_000, quantity: 10 };

  it('rejects a second LIMIT BUY over the position limit while the first rests', () => {
    const [first, second] = [signalEvent(limitBuy), signalEvent(limitBuy)];
    expect(approvals(withTick(), [first, second])).toEqual(['approved', 'max_position_per_instrument']);
  });

  it('judges a second SELL against +10 as a new short, not as reducing, once the first is pending', () => {
    const [first, second] = [signalEvent({ side: 'SELL', quantity: 10 }), signalEvent({ side: 'SELL', quantity: 10 })];
    const oneTradeADay = context({ limitsOf: () => ({ ...LIMITS, maxDailyTradesPerStrategy: 1 }) });
    expect(approvals(holding(10), [first, second], oneTradeADay)).toEqual(['approved', 'max_daily_trades_per_strategy']);
  });

  it('moves pending quantity into the position as it fills, and releases what is cancelled', () => {
    const first = signalEvent(limitBuy);
    // 4 filled + 6 pending = 10: full. Then the rest is cancelled: 4 held, room for 6.
    const afterPartial = decideBatch(withTick(), [first, fillOf(first, 4, 6), signalEvent({ ...limitBuy, quantity: 1 })], context());
    expect(afterPartial.decisions.map((d) => d.approved)).toEqual([true, false]);
    const afterCancel = approvals(afterPartial.state, [cancelledOf(first, 6), signalEvent({ ...limitBuy, quantity: 6 })]);
    expect(afterCancel).toEqual(['approved']);
  });
});

describe('the kill switch in risk decisions', () => {
  const on = context({
    killSwitch: { active: true, reason: 'manual stop', setAt: MORNING.toISOString() },
    limitsOf: () => ({ ...LIMITS, maxPositionPerInstrument: 100 }),
  });

  it('rejects new exposure but lets an order that only reduces the position through', () => {
    const exit = signalEvent({ side: 'SELL', quantity: 10 });
    const entry = signalEvent({ side: 'BUY', quantity: 1 });
    expect(approvals(holding(10), [exit, entry], on)).toEqual(['approved', 'kill_switch']);
    const check = decideBatch(holding(10), [exit], on).outputs[0]!.envelope.data as { checks: { rule: string; detail: string }[] };
    expect(check.checks.find((c) => c.rule === 'kill_switch')!.detail).toMatch(/kill switch is on: manual stop.*reduces the position/);
  });
});

describe('risk decisions follow event time', () => {
  it('decides the same whatever the wall clock when the batch is replayed', () => {
    const late = signalEvent({ side: 'BUY', quantity: 5 }, new Date('2026-11-24T15:29:59+05:30'));
    const state = { ...withTick(), dailyTrades: { '2026-11-24': { 'momentum-1': 100 } } };
    const first = decideBatch(state, [late], context({ now: new Date('2026-11-24T15:30:00+05:30') }));
    // Replayed after midnight IST: the signal still belongs to the 24th, whose limit it exceeds.
    const replay = decideBatch(state, [late], context({ now: new Date('2026-11-25T00:10:00+05:30') }));
    expect(first.decisions).toEqual(replay.decisions);
    expect(replay.decisions[0]!.failedRules).toEqual(['max_daily_trades_per_strategy']);
    expect(replay.outputs.map((o) => [o.envelope.id, o.envelope.data])).toEqual(first.outputs.map((o) => [o.envelope.id, o.envelope.data]));
  });
});
