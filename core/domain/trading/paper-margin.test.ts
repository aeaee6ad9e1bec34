import { describe, expect, it } from 'vitest';
import type { Signal } from '../events';
import { createPaperBroker, onTick, submit, type PaperBrokerState } from './paper-broker';
import { mulberry32 } from './rng';
import { makeSignal, makeTick, makeValidated } from './testing';

const T0 = '2026-11-24T10:00:00+05:30';
const T1 = '2026-11-24T10:00:01+05:30';
const broker = () => createPaperBroker({ slippageBps: 10, slippageJitterBps: 0, tickSize: 5, misLeverage: 5 });

const submitOf = (state: PaperBrokerState, signal: Partial<Signal>, availableCash?: number, orderId = 'o1', freeCash?: number) =>
  submit(state, { validated: makeValidated(makeSignal(signal)), now: T0, orderId, availableCash, freeCash, rng: mulberry32(1) });
const reasonOf = (result: ReturnType<typeof submit>) => (result.outcome === 'rejected' ? result.rejection.reason : 'submitted');

/** A broker holding a position built by a MARKET entry (filled at submission). */
function holding(signal: Partial<Signal>): PaperBrokerState {
  const result = submitOf(broker(), signal, undefined, 'held');
  if (result.outcome !== 'submitted') throw new Error(result.rejection.reason);
  return result.state;
}

describe('paper broker: MIS and CNC margin', () => {
  it('an MIS BUY needs its value divided by the MIS leverage, plus charges', () => {
    // 10 x ₹2,500 / 5 = ₹5,000 of margin plus ₹10.51 of charges
    expect(reasonOf(submitOf(broker(), { side: 'BUY', quantity: 10 }, 500_000))).toBe('insufficient margin: order needs ₹5010.51, available ₹5000.00');
    expect(reasonOf(submitOf(broker(), { side: 'BUY', quantity: 10 }, 501_051))).toBe('submitted');
  });

  it('an MIS short sale needs the same margin: a SELL is not free', () => {
    // intraday sell charges on 2,500,000: brokerage 750, STT 0.025% = ₹6.25 -> ₹6, exchange 74, SEBI 3, GST 149
    expect(reasonOf(submitOf(broker(), { side: 'SELL', quantity: 10 }, 0))).toBe('insufficient margin: order needs ₹5015.76, available ₹0.00');
    expect(reasonOf(submitOf(broker(), { side: 'SELL', quantity: 10 }, 501_576))).toBe('submitted');
  });

  it('refuses CNC short selling the way Zerodha does, and sells what is held', () => {
    expect(reasonOf(submitOf(broker(), { side: 'SELL', quantity: 10, product: 'CNC' }, 10_000_000))).toBe(
      'RMS:Rule: Check holdings: CNC sell of 10 with 0 held; short selling needs MIS',
    );
    const held = holding({ side: 'BUY', quantity: 10, product: 'CNC' });
    expect(held.positions).toMatchObject({ 'momentum-1:738561:CNC': { quantity: 10 } });
    expect(reasonOf(submitOf(held, { side: 'SELL', quantity: 10, product: 'CNC' }, 0))).toBe('submitted');
    expect(reasonOf(submitOf(held, { side: 'SELL', quantity: 11, product: 'CNC' }, 10_000_000))).toMatch(/^RMS:Rule: Check holdings: CNC sell of 11 with 10 held/);
    // An MIS position is not a CNC holding.
    const intraday = holding({ side: 'BUY', quantity: 10, product: 'MIS' });
    expect(reasonOf(submitOf(intraday, { side: 'SELL', quantity: 10, product: 'CNC' }, 10_000_000))).toMatch(/^RMS:Rule: Check holdings/);
  });

  it('an order that only reduces a position needs no margin', () => {
    const long = holding({ side: 'BUY', quantity: 10 });
    expect(reasonOf(submitOf(long, { side: 'SELL', quantity: 10 }, 0))).toBe('submitted');
    // Beyond the position the rest is a short sale, and needs margin.
    expect(reasonOf(submitOf(long, { side: 'SELL', quantity: 15 }, 0))).toMatch(/^insufficient margin/);
  });

  it('checks the margin again at a MARKET entry\'s fill at submission, at the slipped price', () => {
    // Accepted at the approved price (₹5,010.51 needed), the fill at 250250 needs 10 x 250250 / 5 = ₹5,005.00
    // of margin plus ₹10.52 of charges on 2,502,500: refused after its order_submitted, nothing filled.
    const result = submitOf(broker(), { side: 'BUY', quantity: 10 }, 501_051, 'o1', 501_051);
    if (result.outcome !== 'submitted') throw new Error(result.rejection.reason);
    expect(result.events.map((e) => e.type)).toEqual(['order_submitted', 'order_rejected']);
    expect(result.events[1]!.data).toMatchObject({ orderId: 'o1', quantity: 10, reason: 'insufficient margin: fill needs ₹5015.52, available ₹5010.51' });
    expect([result.state.orders, result.state.positions]).toEqual([[], {}]);
    // With the paisa more that the fill needs, it fills.
    const enough = submitOf(broker(), { side: 'BUY', quantity: 10 }, 501_552, 'o1', 501_552);
    expect(enough.outcome === 'submitted' && enough.events.map((e) => e.type)).toEqual(['order_submitted', 'order_filled']);
  });

  it('refuses a CNC SELL at the fill when the holding is gone by then', () => {
    let state = holding({ side: 'BUY', quantity: 10, product: 'CNC' });
    for (const id of ['s1', 's2']) {
      const result = submitOf(state, { side: 'SELL', quantity: 10, product: 'CNC', orderType: 'LIMIT', limitPrice: 250_000 }, 0, id);
      if (result.outcome !== 'submitted') throw new Error(result.rejection.reason);
      state = result.state;
    }
    const result = onTick(state, makeTick(250_000), T1, mulberry32(1));
    expect(result.fills.map((f) => f.orderId)).toEqual(['s1']);
    expect(result.rejections.map((r) => [r.orderId, r.reason])).toEqual([['s2', 'RMS:Rule: Check holdings: CNC sell of 10 with 0 held; short selling needs MIS']]);
  });
});
