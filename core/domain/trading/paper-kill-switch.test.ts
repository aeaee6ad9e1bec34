import { describe, expect, it } from 'vitest';
import type { Signal } from '../events';
import { createPaperBroker, onTick, submit, type PaperBrokerState } from './paper-broker';
import { mulberry32 } from './rng';
import { makeSignal, makeTick, makeValidated } from './testing';

const T0 = '2026-11-24T10:00:00+05:30';
const T1 = '2026-11-24T10:00:01+05:30';
const T2 = '2026-11-24T10:00:02+05:30';
const HALTED = 'kill switch on: new exposure halted (manual halt)';
const broker = () => createPaperBroker({ slippageBps: 10, slippageJitterBps: 0, tickSize: 5 });

function submitted(state: PaperBrokerState, signal: Partial<Signal>, orderId: string): PaperBrokerState {
  const result = submit(state, { validated: makeValidated(makeSignal(signal)), now: T0, orderId, rng: mulberry32(1) });
  if (result.outcome !== 'submitted') throw new Error(result.rejection.reason);
  return result.state;
}
const submitWhileHalted = (state: PaperBrokerState, signal: Partial<Signal>) =>
  submit(state, { validated: makeValidated(makeSignal(signal)), now: T1, orderId: 'k1', halted: HALTED, rng: mulberry32(1) });
const submitHalted = (state: PaperBrokerState, signal: Partial<Signal>) => {
  const result = submitWhileHalted(state, signal);
  return result.outcome === 'rejected' ? result.rejection.reason : 'submitted';
};
/** Long 10 RELIANCE (MIS), filled at submission, with a take-profit at 2550 and a stop-loss at 2450 resting. */
const long = () => submitted(broker(), { side: 'BUY', quantity: 10, takeProfitPrice: 255_000, stopLossPrice: 245_000 }, 'o1');

describe('paper broker: kill switch', () => {
  it('rejects a validated signal that would add exposure, and accepts one that only reduces it', () => {
    expect(submitHalted(broker(), { side: 'BUY', quantity: 10 })).toBe(HALTED);
    expect(submitHalted(broker(), { side: 'SELL', quantity: 10 })).toBe(HALTED); // a short is exposure too
    expect(submitHalted(long(), { side: 'SELL', quantity: 10 })).toBe('submitted');
    expect(submitHalted(long(), { side: 'SELL', quantity: 11 })).toBe(HALTED); // would flip to short
    expect(submitHalted(long(), { side: 'BUY', quantity: 1 })).toBe(HALTED);
  });

  it('fills a MARKET order that only reduces at submission, and its exits are cut as on a tick', () => {
    const result = submitWhileHalted(long(), { side: 'SELL', quantity: 10 });
    if (result.outcome !== 'submitted') throw new Error(result.rejection.reason);
    expect(result.events.map((e) => [e.type, e.data.orderId, e.data.quantity])).toEqual([
      ['order_submitted', 'k1', 10],
      ['order_filled', 'k1', 10],
      ['order_cancelled', 'o1-tp', 10],
      ['order_cancelled', 'o1-sl', 10],
    ]);
    expect([result.state.orders, result.state.positions]).toEqual([[], {}]);
  });

  it('cancels a resting entry instead of filling it, while the exits still fill', () => {
    const state = submitted(long(), { side: 'BUY', quantity: 5, orderType: 'LIMIT', limitPrice: 245_000 }, 'o2');
    const result = onTick(state, makeTick(244_000), T2, mulberry32(1), { halted: HALTED });
    expect(result.cancellations.map((c) => [c.orderId, c.quantity, c.reason])).toEqual([
      ['o1-tp', 10, 'one-cancels-other: o1-sl filled'],
      ['o2', 5, HALTED],
    ]);
    expect(result.fills.map((f) => [f.orderId, f.quantity])).toEqual([['o1-sl', 10]]);
    expect(result.state.orders).toEqual([]);
  });

  it('cuts a resting entry that would flip the position to what it closes', () => {
    const state = submitted(long(), { side: 'SELL', quantity: 15, orderType: 'LIMIT', limitPrice: 250_000 }, 'o2');
    const result = onTick(state, makeTick(250_000), T2, mulberry32(1), { halted: HALTED });
    expect(result.cancellations.map((c) => [c.orderId, c.quantity, c.reason])).toEqual([
      ['o2', 5, HALTED],
      ['o1-tp', 10, 'position closed: o2 filled'],
      ['o1-sl', 10, 'position closed: o2 filled'],
    ]);
    expect(result.fills.map((f) => [f.orderId, f.quantity])).toEqual([['o2', 10]]);
    expect(result.state.positions).toEqual({});
  });
});
