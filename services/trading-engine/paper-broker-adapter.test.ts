import { describe, expect, it } from 'vitest';
import type { Signal, Tick } from '../../core/domain/events';
import { makeSignal, makeTick, makeValidated, RELIANCE } from '../../core/domain/trading/testing';
import type { BrokerStep, ExecutionReport, TradingContext } from './broker';
import { createPaperBrokerAdapter, type PaperAccountState, type PaperSettings } from './paper-broker-adapter';

const T2 = '2026-11-24T04:30:02.000Z';

const T0 = '2026-11-24T04:30:00.000Z';
const T1 = '2026-11-24T04:30:01.000Z';
const TCS = 2_953_217;
const open: TradingContext = { halted: null };
const settings: PaperSettings = { startingCash: 10_000_000, slippageBps: 10, slippageJitterBps: 0, latencyMs: 0, seed: 7 };
/** MARKET orders wait for a tick stamped 500 ms after their submission (T1 is 1 s after T0). */
const delayed: PaperSettings = { ...settings, latencyMs: 500 };

function submitted(adapter: ReturnType<typeof createPaperBrokerAdapter>, state: PaperAccountState, signal: Partial<Signal>, orderId: string) {
  return adapter.submit(state, { validated: makeValidated(makeSignal(signal)), orderId, submittedAt: T0, correlationId: '0190a000-0000-7000-8000-000000000001' }, open);
}

const ofType = <T extends ExecutionReport['type']>(step: BrokerStep<PaperAccountState>, type: T) =>
  step.reports.filter((r): r is Extract<ExecutionReport, { type: T }> => r.type === type);

describe('paper broker adapter: cash ledger', () => {
  it('takes BUY fills (value and charges) out of the strategy cash and puts SELL proceeds back', () => {
    const adapter = createPaperBrokerAdapter(settings);
    const buy = submitted(adapter, adapter.initialState(), { side: 'BUY', quantity: 10, referencePrice: 250_010 }, 'o1');
    // Filled at submission: 250010 x 1.001 -> 250265; value 2,502,650; charges 1,052 (see paper-broker.test.ts)
    expect(ofType(buy, 'order_filled')[0]!.data).toMatchObject({ price: 250_265, charges: { total: 1_052 }, filledAt: T0 });
    expect(buy.state.cash).toEqual({ 'momentum-1': 10_000_000 - 2_502_650 - 1_052 });
    const sell = submitted(adapter, buy.state, { side: 'SELL', quantity: 10, referencePrice: 250_010 }, 'o2');
    const fill = ofType(sell, 'order_filled')[0]!.data;
    expect(fill.price).toBe(249_755);
    expect(sell.state.cash['momentum-1']).toBe(10_000_000 - 2_502_650 - 1_052 + 249_755 * 10 - fill.charges.total);
    expect(sell.state.positions).toEqual({});
  });

  it('reports a MARKET entry filled at submission in order, and records it COMPLETE with its exits OPEN', () => {
    const adapter = createPaperBrokerAdapter(settings);
    const step = submitted(adapter, adapter.initialState(), { quantity: 10, takeProfitPrice: 255_000, stopLossPrice: 245_000 }, 'o1');
    expect(step.reports.map((r) => [r.type, r.data.orderId, r.originId, r.order.status])).toEqual([
      ['order_submitted', 'o1', 'o1', 'OPEN'],
      ['order_filled', 'o1', 'o1', 'COMPLETE'],
      ['order_submitted', 'o1-tp', 'o1', 'OPEN'],
      ['order_submitted', 'o1-sl', 'o1', 'OPEN'],
    ]);
    expect(ofType(step, 'order_filled')[0]!.order).toMatchObject({ filledQuantity: 10, averagePrice: 250_250, failureReason: null });
    expect(step.state.reservations).toEqual({}); // nothing left open to reserve for
    expect(step.state.orders.map((o) => o.orderId)).toEqual(['o1-tp', 'o1-sl']);
    expect(step.state.rng).toEqual({});
    // The exits are evaluated on later ticks, as ever.
    const profit = adapter.onTick(step.state, makeTick(256_000), T1, open);
    expect(ofType(profit, 'order_filled').map((r) => [r.data.orderId, r.data.price])).toEqual([['o1-tp', 256_000]]);
  });

  it('rejects a MARKET entry at submission when its fill needs more than the free cash, after its order_submitted', () => {
    // Accepted at the approved price (₹5,010.51 needed), the fill at 250250 needs ₹5,015.52.
    const adapter = createPaperBrokerAdapter({ ...settings, startingCash: 501_051 });
    const step = submitted(adapter, adapter.initialState(), { quantity: 10, stopLossPrice: 245_000 }, 'o1');
    const reason = 'insufficient margin: fill needs ₹5015.52, available ₹5010.51';
    expect(step.reports.map((r) => [r.type, r.order.status, r.order.failureReason])).toEqual([
      ['order_submitted', 'OPEN', null],
      ['order_rejected', 'REJECTED', reason],
    ]);
    expect(ofType(step, 'order_rejected')[0]!.data).toMatchObject({ orderId: 'o1', quantity: 10, reason, rejectedAt: T0 });
    expect([step.state.orders, step.state.positions, step.state.cash, step.state.reservations]).toEqual([[], {}, {}, {}]);
  });

  it('reserves cash for open BUY entries: a second order the rest cannot pay for is refused', () => {
    const adapter = createPaperBrokerAdapter({ ...settings, startingCash: 4_000_000 });
    // CNC needs the full value: 10 x ₹2,495 = ₹24,950 (+ charges) reserved by the first limit order; ₹15,050 left.
    const cnc = { orderType: 'LIMIT' as const, limitPrice: 249_500, quantity: 10, product: 'CNC' as const };
    const first = submitted(adapter, adapter.initialState(), cnc, 'o1');
    expect(first.reports.map((r) => r.type)).toEqual(['order_submitted']);
    expect(first.state.reservations).toEqual({ o1: { price: 249_500, quantity: 10 } });
    const second = submitted(adapter, first.state, cnc, 'o2');
    expect(ofType(second, 'order_rejected')[0]).toMatchObject({
      data: { orderId: 'o2', reason: expect.stringMatching(/^insufficient cash/) },
      order: { status: 'REJECTED', orderType: 'LIMIT', limitPrice: 249_500, filledQuantity: 0 },
    });
    expect(second.state).toBe(first.state);
    // Once the first fills the reservation is released; what it spent is gone from the ledger.
    const filled = adapter.onTick(first.state, makeTick(249_000), T1, open);
    expect(filled.state.reservations).toEqual({});
    expect(filled.state.orders).toEqual([]);
    const fill = ofType(filled, 'order_filled')[0]!.data;
    expect(fill.price).toBe(249_000);
    expect(filled.state.cash['momentum-1']).toBe(4_000_000 - 2_490_000 - fill.charges.total);
  });

  it('records order progress for the orders table: partial fills stay OPEN, the last one COMPLETEs', () => {
    const adapter = createPaperBrokerAdapter(delayed);
    const accepted = submitted(adapter, adapter.initialState(), { quantity: 30 }, 'o1');
    expect(accepted.reports.map((r) => [r.type, r.order.status])).toEqual([['order_submitted', 'OPEN']]); // waits for a tick
    expect(accepted.state.reservations).toEqual({ o1: { price: 250_000, quantity: 30 } });
    const state = accepted.state;
    const depth = (quantity: number) => ({ depth: { buy: [], sell: [{ price: 250_000, quantity, orders: 1 }] } });
    const first = adapter.onTick(state, makeTick(250_000, depth(12)), T1, open);
    expect(ofType(first, 'order_filled')[0]!.order).toMatchObject({ status: 'OPEN', filledQuantity: 12, averagePrice: 250_250 });
    const second = adapter.onTick(first.state, makeTick(250_400, depth(50)), T2, open);
    // 250400 x 1.001 = 250650.4 -> 250655; 12 x 250250 + 18 x 250655 = 3,003,000 + 4,511,790 = 7,514,790; / 30 = 250493
    expect(ofType(second, 'order_filled')[0]!.order).toMatchObject({ status: 'COMPLETE', filledQuantity: 30, averagePrice: 250_493 });
  });
});

describe('paper broker adapter: margin', () => {
  it('short-sale proceeds do not become buying power: new exposure gets cash less the short\'s margin', () => {
    const adapter = createPaperBrokerAdapter({ ...settings, startingCash: 1_000_000 }); // ₹10,000
    // An MIS short of 10 x ₹2,500 blocks ₹5,000 (5x) and brings ₹24,975 into the cash ledger.
    const sold = submitted(adapter, adapter.initialState(), { side: 'SELL', quantity: 10 }, 's1');
    const fill = ofType(sold, 'order_filled')[0]!.data;
    expect(fill).toMatchObject({ side: 'SELL', price: 249_750 });
    expect(sold.state.cash['momentum-1']).toBe(1_000_000 + 2_497_500 - fill.charges.total);
    expect(sold.state.positions).toMatchObject({ 'momentum-1:738561:MIS': { quantity: -10, openValue: -2_497_500 } });
    // ₹28,000 of TCS would need ₹5,600 of margin: more than the ₹4,995 - charges left, however much the ledger holds.
    const tcs = { instrumentToken: TCS, tradingsymbol: 'TCS', side: 'BUY' as const, quantity: 8, orderType: 'LIMIT' as const, limitPrice: 350_000, referencePrice: 350_000 };
    const refused = submitted(adapter, sold.state, tcs, 'b1');
    expect(ofType(refused, 'order_rejected')[0]!.data.reason).toMatch(/^insufficient margin: order needs ₹56\d\d\.\d\d, available ₹49\d\d\.\d\d$/);
    const smaller = submitted(adapter, sold.state, { ...tcs, quantity: 6 }, 'b2');
    expect(smaller.reports.map((r) => r.type)).toEqual(['order_submitted']);
    expect(smaller.state.reservations).toEqual({ b2: { price: 350_000, quantity: 6 } });
  });
});

describe('paper broker adapter: reduce-only exits', () => {
  it('records an exit cut down to its position as still OPEN with the smaller quantity', () => {
    const adapter = createPaperBrokerAdapter(settings);
    const state = submitted(adapter, adapter.initialState(), { quantity: 10, takeProfitPrice: 255_000, stopLossPrice: 245_000 }, 'o1').state;
    const cut = submitted(adapter, state, { side: 'SELL', quantity: 6 }, 'o2');
    expect(ofType(cut, 'order_cancelled').map((r) => [r.data.orderId, r.data.quantity, r.order.status, r.order.quantity])).toEqual([
      ['o1-tp', 6, 'OPEN', 4],
      ['o1-sl', 6, 'OPEN', 4],
    ]);
    expect(cut.state.positions).toMatchObject({ 'momentum-1:738561:MIS': { quantity: 4 } });
  });
});

describe('paper broker adapter: state', () => {
  it('returns the very same state for a tick that changes nothing, so nothing is persisted', () => {
    const adapter = createPaperBrokerAdapter(settings);
    const state = submitted(adapter, adapter.initialState(), { orderType: 'LIMIT', limitPrice: 240_000 }, 'o1').state;
    expect(adapter.onTick(state, makeTick(250_000), T1, open)).toEqual({ state, reports: [] });
    expect(adapter.onTick(state, makeTick(250_000), T1, open).state).toBe(state);
    expect(adapter.watches(state, RELIANCE, T1)).toBe(true);
    expect(adapter.watches(state, TCS, T1)).toBe(false);
  });

  it('watches ticks of any instrument once the trading day has something due, and expires day orders on them', () => {
    const adapter = createPaperBrokerAdapter(settings);
    const state = submitted(adapter, adapter.initialState(), { orderType: 'LIMIT', limitPrice: 240_000, product: 'CNC' }, 'o1').state;
    const close = '2026-11-24T10:00:00.000Z'; // 15:30 IST
    expect(adapter.watches(state, TCS, '2026-11-24T09:59:59.999Z')).toBe(false);
    expect(adapter.watches(state, TCS, close)).toBe(true);
    const expired = adapter.onTick(state, makeTick(350_000, { instrumentToken: TCS, tradingsymbol: 'TCS' }), close, open);
    expect(ofType(expired, 'order_cancelled')).toMatchObject([
      { data: { orderId: 'o1', reason: 'expired at market close' }, order: { status: 'CANCELLED', failureReason: 'expired at market close' } },
    ]);
    expect([expired.state.orders, expired.state.reservations]).toEqual([[], {}]);
  });

  it('draws slippage per instrument: other instruments\' ticks do not change an instrument\'s fills', () => {
    // Fills on ticks: MARKET orders under a latency.
    const adapter = createPaperBrokerAdapter({ ...delayed, slippageJitterBps: 50 });
    const tcsTick: Tick = makeTick(350_000, { instrumentToken: TCS, tradingsymbol: 'TCS' });
    const run = (interleave: boolean) => {
      let state = adapter.initialState();
      const prices: number[] = [];
      for (let i = 0; i < 8; i += 1) {
        state = submitted(adapter, state, { side: 'BUY', quantity: 1 }, `r${i}`).state;
        state = submitted(adapter, state, { side: 'BUY', quantity: 1, instrumentToken: TCS, tradingsymbol: 'TCS' }, `t${i}`).state;
        if (interleave) state = adapter.onTick(state, tcsTick, T1, open).state;
        const step = adapter.onTick(state, makeTick(250_000), T1, open);
        prices.push(...ofType(step, 'order_filled').map((r) => r.data.price));
        state = JSON.parse(JSON.stringify(step.state));
      }
      return prices;
    };
    const alone = run(false);
    expect(run(true)).toEqual(alone);
    expect(new Set(alone).size).toBeGreaterThan(1); // the jitter is really drawn
  });

  it('draws the jitter of a fill at submission from the order id: the same order gets the same price whatever ticks came first', () => {
    const adapter = createPaperBrokerAdapter({ ...settings, slippageJitterBps: 50 });
    // A busy history: earlier entries, and a stop whose fill on a tick drew from RELIANCE's generator.
    let busy = adapter.initialState();
    for (let i = 0; i < 3; i += 1) busy = submitted(adapter, busy, { side: 'BUY', quantity: 1 }, `r${i}`).state;
    busy = submitted(adapter, busy, { side: 'BUY', quantity: 1, orderType: 'SL-M', triggerPrice: 251_000 }, 'stop').state;
    for (const price of [252_000, 253_000]) busy = adapter.onTick(busy, makeTick(price), T1, open).state;
    expect(Object.keys(busy.rng)).toEqual([String(RELIANCE)]);
    const fillOf = (state: PaperAccountState, orderId: string) => {
      const step = submitted(adapter, state, { side: 'BUY', quantity: 1 }, orderId);
      expect(step.state.rng).toBe(state.rng); // a fill at submission leaves the instruments' generators alone
      return ofType(step, 'order_filled')[0]!.data;
    };
    const ids = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
    const fresh = ids.map((id) => fillOf(adapter.initialState(), id));
    expect(ids.map((id) => fillOf(busy, id))).toEqual(fresh);
    expect(new Set(fresh.map((f) => f.price)).size).toBeGreaterThan(1); // the jitter is really drawn, per order
  });

  it('refuses saved state of another shape rather than trading on it', () => {
    const adapter = createPaperBrokerAdapter(settings);
    expect(() => adapter.restore({ orders: [] })).toThrow(/not a version 2 paper account/);
    // Version 1 kept no positions: nothing to rebuild them from, so it is refused with what to do.
    const v1 = { version: 1, orders: [], cash: {}, reservePrices: {}, rng: {} };
    expect(() => adapter.restore(v1)).toThrow(/version 1 paper account, which records no positions.*delete it/);
    const state = adapter.initialState();
    expect(adapter.restore(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });
});
