import { describe, expect, it } from 'vitest';
import type { Signal } from '../events';
import { createPaperBroker, onTick, submit, type PaperBrokerState } from './paper-broker';
import { squareOffOrderId } from './paper-session';
import { mulberry32 } from './rng';
import { makeSignal, makeTick, makeValidated, RELIANCE } from './testing';

const DAY = '2026-11-23';
const ist = (time: string, date = DAY) => `${date}T${time}+05:30`;
const TCS = 2_953_217;
const broker = () => createPaperBroker({ slippageBps: 10, slippageJitterBps: 0, tickSize: 5 });

function submitted(state: PaperBrokerState, signal: Partial<Signal>, orderId: string, now = ist('10:00:00')): PaperBrokerState {
  const result = submit(state, { validated: makeValidated(makeSignal(signal)), now, orderId, rng: mulberry32(1) });
  if (result.outcome !== 'submitted') throw new Error(result.rejection.reason);
  return result.state;
}
const tickAt = (state: PaperBrokerState, price: number, now: string, token = RELIANCE) =>
  onTick(state, makeTick(price, token === RELIANCE ? {} : { instrumentToken: token, tradingsymbol: 'TCS' }), now, mulberry32(1));

describe('paper broker: the trading day', () => {
  it('expires day orders at the close, on the first tick of any instrument at or after it', () => {
    const state = submitted(broker(), { side: 'BUY', quantity: 10, orderType: 'LIMIT', limitPrice: 240_000, product: 'CNC' }, 'o1');
    expect(tickAt(state, 250_000, ist('15:29:59')).cancellations).toEqual([]);
    const closing = tickAt(state, 350_000, ist('15:30:00'), TCS);
    expect(closing.cancellations).toMatchObject([{ orderId: 'o1', quantity: 10, reason: 'expired at market close', cancelledAt: ist('15:30:00') }]);
    expect(closing.state.orders).toEqual([]);
    // The next morning's tick crosses the limit, but the order is gone.
    const morning = tickAt(state, 239_000, ist('09:15:00', '2026-11-24'));
    expect(morning.fills).toEqual([]);
    expect(morning.cancellations.map((c) => c.reason)).toEqual(['expired at market close']);
  });

  it('squares off MIS positions at 15:20 IST with a MARKET order, cancelling their MIS orders first', () => {
    let state = submitted(broker(), { side: 'BUY', quantity: 10, takeProfitPrice: 255_000, stopLossPrice: 245_000 }, 'o1');
    state = submitted(state, { side: 'BUY', quantity: 5, orderType: 'LIMIT', limitPrice: 240_000 }, 'o2');
    state = submitted(state, { side: 'BUY', quantity: 3, product: 'CNC', orderType: 'LIMIT', limitPrice: 240_000 }, 'o3');
    expect(state.positions).toMatchObject({ 'momentum-1:738561:MIS': { quantity: 10 } }); // o1 filled at submission
    expect(tickAt(state, 250_000, ist('15:19:59')).events).toEqual([]);

    const due = tickAt(state, 350_000, ist('15:20:00'), TCS);
    const id = squareOffOrderId('momentum-1', RELIANCE, DAY);
    expect(due.cancellations.map((c) => [c.orderId, c.reason])).toEqual([
      ['o2', 'auto square-off at 15:20 IST: open MIS orders cancelled'],
      ['o1-tp', 'auto square-off at 15:20 IST: position closed at market'],
      ['o1-sl', 'auto square-off at 15:20 IST: position closed at market'],
    ]);
    expect(due.exits).toEqual([
      { orderId: id, strategyId: 'momentum-1', instrumentToken: RELIANCE, tradingsymbol: 'RELIANCE', side: 'SELL', product: 'MIS', quantity: 10, orderType: 'MARKET', submittedAt: ist('15:20:00') },
    ]);
    expect(due.state.orders.map((o) => o.orderId)).toEqual(['o3', id]); // the CNC order waits for the close
    // Recomputed, the square-off is the same order; it is placed once.
    expect(tickAt(state, 350_000, ist('15:20:00'), TCS).exits[0]!.orderId).toBe(id);
    expect(tickAt(due.state, 350_000, ist('15:20:01'), TCS).events).toEqual([]);

    const closed = tickAt(due.state, 251_000, ist('15:20:02'));
    expect(closed.fills).toMatchObject([{ orderId: id, side: 'SELL', quantity: 10, price: 250_745, remainingQuantity: 0 }]);
    expect(closed.fills[0]!.charges.total).toBeGreaterThan(0);
    expect(closed.state.positions).toEqual({});
  });

  it('refuses MIS orders after the square-off time', () => {
    const result = submit(broker(), { validated: makeValidated(makeSignal({ side: 'BUY' })), now: ist('15:25:00'), orderId: 'late', rng: mulberry32(1) });
    expect(result.outcome === 'rejected' && result.rejection.reason).toBe('auto square-off: MIS orders are not accepted after 15:20 IST');
  });

  it('expires a CNC MARKET entry submitted after the close instead of filling it at its signal\'s price', () => {
    const result = submit(broker(), { validated: makeValidated(makeSignal({ product: 'CNC' })), now: ist('15:35:00'), orderId: 'late', rng: mulberry32(1) });
    expect(result.outcome === 'submitted' && result.events.map((e) => [e.type, e.data.orderId])).toEqual([
      ['order_submitted', 'late'],
      ['order_cancelled', 'late'],
    ]);
    expect(result.outcome === 'submitted' && result.events[1]!.data).toMatchObject({ quantity: 10, reason: 'expired at market close', cancelledAt: ist('15:35:00') });
    expect(result.state.orders).toEqual([]);
  });

  it('squares off an MIS position no tick reached before the close at the next tick, under the day it was opened', () => {
    const state = submitted(broker(), { side: 'SELL', quantity: 4 }, 'o1');
    const morning = tickAt(state, 250_000, ist('09:15:00', '2026-11-24'));
    expect(morning.exits).toMatchObject([{ orderId: squareOffOrderId('momentum-1', RELIANCE, DAY), side: 'BUY', quantity: 4 }]);
  });
});
