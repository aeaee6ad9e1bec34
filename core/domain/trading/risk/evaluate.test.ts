import { describe, expect, it } from 'vitest';
import type { OrderFilled, PnlSnapshot, Signal } from '../../events';
import { NO_CHARGES } from '../charges';
import { makeSignal, makeTick, makeValidated, RELIANCE } from '../testing';
import { evaluateSignal, type RiskDecision } from './evaluate';
import { DEFAULT_RISK_LIMITS, limitsFor, riskLimitsSchema, type RiskLimits } from './limits';
import { RISK_RULES } from './rules';
import { createRiskState, recordFill, recordPnlSnapshot, recordTick, recordValidated, setKillSwitch, type RiskState } from './state';

const NOW = '2026-11-24T10:00:00+05:30';
const NEXT_DAY = '2026-11-25T09:20:00+05:30';
const LIMITS: RiskLimits = {
  maxPositionPerInstrument: 100,
  maxOrderValue: 5_000_000, // ₹50,000
  maxDailyTradesPerStrategy: 3,
  priceBandBps: 100,
  maxDailyLossPerStrategy: 100_000, // ₹1,000
};

const withTick = (price = 250_000): RiskState => recordTick(createRiskState(NOW), makeTick(price), NOW);

const fill = (side: 'BUY' | 'SELL', quantity: number, filledAt = NOW): OrderFilled => ({
  orderId: `o-${side}-${quantity}`,
  strategyId: 'momentum-1',
  instrumentToken: RELIANCE,
  tradingsymbol: 'RELIANCE',
  side,
  product: 'MIS',
  fillId: `f-${side}-${quantity}`,
  quantity,
  price: 250_000,
  cumulativeQuantity: quantity,
  remainingQuantity: 0,
  charges: NO_CHARGES,
  filledAt,
});

const pnl = (realizedPnl: number, unrealizedPnl: number, asOf = NOW, quantity = 0): PnlSnapshot => ({
  strategyId: 'momentum-1',
  cash: 0,
  realizedPnl,
  unrealizedPnl,
  chargesPaid: 0,
  positions: quantity ? [{ instrumentToken: RELIANCE, quantity, averagePrice: 250_000, lastPrice: 250_000, realizedPnl, unrealizedPnl }] : [],
  asOf,
});

const evaluate = (signal: Signal, state: RiskState, now = NOW, limits = LIMITS) => evaluateSignal(signal, { state, now }, limits);
const failed = (decision: RiskDecision) => (decision.approved ? [] : decision.failedRules);

describe('evaluateSignal', () => {
  it('approves a signal within every limit, reporting every rule', () => {
    const decision = evaluate(makeSignal(), withTick());
    expect(decision).toMatchObject({ approved: true, approvedQuantity: 10, approvedPrice: 250_000 });
    expect(decision.checks.map((c) => c.rule)).toEqual([...RISK_RULES]);
    expect(decision.checks.every((c) => c.passed && c.detail.length > 0)).toBe(true);
  });

  it('approves a market order at the last tick price and a limit order at its limit', () => {
    const state = withTick(250_500);
    expect(evaluate(makeSignal(), state)).toMatchObject({ approved: true, approvedPrice: 250_500 });
    expect(evaluate(makeSignal({ orderType: 'LIMIT', limitPrice: 250_000 }), state)).toMatchObject({ approvedPrice: 250_000 });
  });

  it('kill_switch rejects new exposure while set, but not an exit', () => {
    let state = setKillSwitch(withTick(), true, 'manual stop', NOW);
    state = recordFill(state, fill('BUY', 10));
    for (const signal of [makeSignal(), makeSignal({ side: 'SELL', quantity: 11 })]) {
      const decision = evaluate(signal, state);
      expect(failed(decision)).toEqual(['kill_switch']);
      expect(decision.checks.find((c) => c.rule === 'kill_switch')!.detail).toContain('manual stop');
    }
    expect(evaluate(makeSignal({ side: 'SELL', quantity: 10 }), state).approved).toBe(true);
    expect(evaluate(makeSignal(), setKillSwitch(state, false, null, NOW)).approved).toBe(true);
  });

  it('price_band rejects without a tick and outside the band', () => {
    expect(failed(evaluate(makeSignal(), createRiskState(NOW)))).toEqual(['price_band']);
    // 252600 is 104 bps above 250000
    expect(failed(evaluate(makeSignal({ referencePrice: 252_600 }), withTick()))).toEqual(['price_band']);
    // a limit exactly 100 bps away is inside
    expect(evaluate(makeSignal({ orderType: 'LIMIT', limitPrice: 252_500 }), withTick()).approved).toBe(true);
  });

  it('max_order_value rejects an order worth more than the limit', () => {
    // 21 x ₹2,500 = ₹52,500 > ₹50,000; 20 x ₹2,500 = ₹50,000 passes
    expect(failed(evaluate(makeSignal({ quantity: 21 }), withTick()))).toEqual(['max_order_value']);
    expect(evaluate(makeSignal({ quantity: 20 }), withTick()).approved).toBe(true);
  });

  it('max_order_value lets a position built from several orders be closed in one', () => {
    const state = recordFill(recordFill(withTick(), fill('BUY', 20)), fill('BUY', 15));
    // 35 x ₹2,500 = ₹87,500 > ₹50,000, but it only closes the position
    expect(evaluate(makeSignal({ side: 'SELL', quantity: 35 }), state).approved).toBe(true);
    expect(failed(evaluate(makeSignal({ side: 'SELL', quantity: 36 }), state))).toEqual(['max_order_value']);
  });

  it('max_position_per_instrument counts the actual position plus the order, but lets exits through', () => {
    const state = recordFill(withTick(), fill('BUY', 95));
    expect(failed(evaluate(makeSignal({ quantity: 10 }), state))).toEqual(['max_position_per_instrument']);
    expect(evaluate(makeSignal({ quantity: 5 }), state).approved).toBe(true);
    expect(evaluate(makeSignal({ side: 'SELL', quantity: 95 }), state)).toMatchObject({ approved: true, approvedQuantity: 95 });
    // flipping from +95 to -105 exceeds the limit on the other side
    const roomy = { ...LIMITS, maxOrderValue: 100_000_000 };
    expect(failed(evaluate(makeSignal({ side: 'SELL', quantity: 200 }), state, NOW, roomy))).toEqual(['max_position_per_instrument']);
  });

  it('max_daily_trades_per_strategy counts approvals of the IST day and resets the next day', () => {
    let state = withTick();
    for (let i = 0; i < 3; i += 1) state = recordValidated(state, makeValidated(makeSignal()), NOW);
    expect(failed(evaluate(makeSignal(), state))).toEqual(['max_daily_trades_per_strategy']);
    // another strategy has its own count
    expect(evaluate(makeSignal({ strategyId: 'other' }), state).approved).toBe(true);
    // 23:59:59 IST is still the same day; 00:00 IST (18:30 UTC) is the next one
    expect(evaluate(makeSignal(), state, '2026-11-24T18:29:59Z').approved).toBe(false);
    const nextDay = recordTick(state, makeTick(250_000), NEXT_DAY);
    expect(evaluate(makeSignal(), nextDay, NEXT_DAY).approved).toBe(true);
  });

  it('max_daily_trades_per_strategy still allows closing a position', () => {
    let state = recordFill(withTick(), fill('BUY', 10));
    for (let i = 0; i < 3; i += 1) state = recordValidated(state, makeValidated(makeSignal()), NOW);
    expect(evaluate(makeSignal({ side: 'SELL', quantity: 10 }), state).approved).toBe(true);
  });

  it("max_daily_loss_per_strategy compares today's realized + unrealized loss with the limit", () => {
    const losing = recordPnlSnapshot(withTick(), pnl(-60_000, -40_000));
    const decision = evaluate(makeSignal(), losing);
    expect(failed(decision)).toEqual(['max_daily_loss_per_strategy']);
    expect(decision.checks.find((c) => c.rule === 'max_daily_loss_per_strategy')!.detail).toContain('₹1000.00');
    expect(evaluate(makeSignal(), recordPnlSnapshot(withTick(), pnl(-60_000, -39_999))).approved).toBe(true);
    // on the next IST day the loss so far is yesterday's: today starts from zero
    const nextDay = recordTick(losing, makeTick(250_000), NEXT_DAY);
    expect(evaluate(makeSignal(), nextDay, NEXT_DAY).approved).toBe(true);
    // and a further loss of ₹1,000 on the new day trips it again
    const worse = recordPnlSnapshot(nextDay, pnl(-160_000, -40_000, NEXT_DAY));
    expect(failed(evaluate(makeSignal(), worse, NEXT_DAY))).toEqual(['max_daily_loss_per_strategy']);
  });

  it('rejects with every failing rule named', () => {
    const state = setKillSwitch(createRiskState(NOW), true, null, NOW);
    expect(failed(evaluate(makeSignal({ quantity: 500 }), state))).toEqual([
      'kill_switch',
      'price_band',
      'max_order_value',
      'max_position_per_instrument',
    ]);
  });
});

describe('risk state', () => {
  it('keeps positions from fills when an older snapshot arrives late', () => {
    let state = recordFill(withTick(), fill('BUY', 10, '2026-11-24T10:00:05+05:30'));
    state = recordPnlSnapshot(state, pnl(0, 0, '2026-11-24T10:00:01+05:30'));
    expect(state.strategies['momentum-1']!.positions[String(RELIANCE)]).toBe(10);
    state = recordPnlSnapshot(state, pnl(0, 0, '2026-11-24T10:00:06+05:30', 10));
    expect(state.strategies['momentum-1']!.positions[String(RELIANCE)]).toBe(10);
    state = recordFill(state, fill('SELL', 4, '2026-11-24T10:00:07+05:30'));
    expect(state.strategies['momentum-1']!.positions[String(RELIANCE)]).toBe(6);
  });

  // The portfolio stamps a snapshot with its latest event time, ticks included, so a snapshot can
  // be "newer" than a fill it has not booked yet. What it has booked is told by the sequence of
  // the last fill in each position (the fill's place in its strategy-instrument's log).
  const snapshotAt = (asOf: string, quantity: number, fillSequence: number): PnlSnapshot => ({
    ...pnl(0, 0, asOf, quantity),
    positions: [{ instrumentToken: RELIANCE, quantity, averagePrice: 250_000, lastPrice: 250_000, realizedPnl: 0, unrealizedPnl: 0, fillSequence }],
  });

  it('keeps a fill a later-stamped snapshot has not booked yet', () => {
    let state = recordFill(withTick(), fill('BUY', 10, '2026-11-24T10:00:05+05:30'), 7);
    // Taken at a tick of 10:00:06, from fills up to sequence 6: it knows nothing of the BUY 10.
    state = recordPnlSnapshot(state, snapshotAt('2026-11-24T10:00:06+05:30', 0, 6));
    expect(state.strategies['momentum-1']!.positions[String(RELIANCE)]).toBe(10);
  });

  it('takes a snapshot ahead of its own fills, and does not count those fills again', () => {
    let state = recordFill(withTick(), fill('BUY', 10, '2026-11-24T10:00:05+05:30'), 3);
    // The portfolio has booked fills 4 and 5 (SELL 4, SELL 2) that this state has not seen yet.
    state = recordPnlSnapshot(state, snapshotAt('2026-11-24T10:00:04+05:30', 4, 5));
    expect(state.strategies['momentum-1']!.positions[String(RELIANCE)]).toBe(4);
    state = recordFill(state, fill('SELL', 4, '2026-11-24T10:00:06+05:30'), 4);
    state = recordFill(state, fill('SELL', 2, '2026-11-24T10:00:07+05:30'), 5);
    expect(state.strategies['momentum-1']!.positions[String(RELIANCE)]).toBe(4);
    state = recordFill(state, fill('SELL', 1, '2026-11-24T10:00:08+05:30'), 6);
    expect(state.strategies['momentum-1']!.positions[String(RELIANCE)]).toBe(3);
  });

  it('stays plain JSON', () => {
    let state = recordValidated(withTick(), makeValidated(makeSignal()), NOW);
    state = recordPnlSnapshot(recordFill(state, fill('BUY', 10)), pnl(-5, 3));
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe('risk limits', () => {
  it('applies a strategy override on top of the defaults', () => {
    expect(limitsFor(DEFAULT_RISK_LIMITS, { maxOrderValue: 1_000 })).toEqual({ ...DEFAULT_RISK_LIMITS, maxOrderValue: 1_000 });
    expect(limitsFor(DEFAULT_RISK_LIMITS, undefined)).toEqual(DEFAULT_RISK_LIMITS);
  });

  it('rejects unknown or non-integer limits', () => {
    expect(riskLimitsSchema.safeParse({ ...DEFAULT_RISK_LIMITS, maxOrderValue: 10.5 }).success).toBe(false);
    expect(riskLimitsSchema.safeParse({ ...DEFAULT_RISK_LIMITS, maxLeverage: 5 }).success).toBe(false);
    expect(riskLimitsSchema.safeParse(DEFAULT_RISK_LIMITS).success).toBe(true);
  });
});
