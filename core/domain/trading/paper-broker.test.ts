import { describe, expect, it } from 'vitest';
import type { Signal } from '../events';
import { add, paise } from '../money';
import { chargesForTurnover } from './charges';
import { cancel, createPaperBroker, onTick, submit, type PaperBrokerState, type PaperEvent, type SubmitInput, type TickResult } from './paper-broker';
import { mulberry32 } from './rng';
import { makeSignal, makeTick, makeValidated, RELIANCE } from './testing';

const T0 = '2026-11-24T10:00:00+05:30';
const T1 = '2026-11-24T10:00:01+05:30';
const T2 = '2026-11-24T10:00:02+05:30';
const T3 = '2026-11-24T10:00:03+05:30';

const broker = () => createPaperBroker({ slippageBps: 10, slippageJitterBps: 0, tickSize: 5 });

/** Submits at T0; a MARKET entry fills then, at its signal's reference price (250000 unless given). */
function submitting(state: PaperBrokerState, signal: Partial<Signal>, orderId = 'o1', extra: Partial<SubmitInput> = {}) {
  const result = submit(state, { validated: makeValidated(makeSignal(signal)), now: T0, orderId, correlationId: `c-${orderId}`, rng: mulberry32(1), ...extra });
  if (result.outcome !== 'submitted') throw new Error(`expected submission, got ${result.rejection.reason}`);
  return result;
}
const submitted = (state: PaperBrokerState, signal: Partial<Signal>, orderId = 'o1') => submitting(state, signal, orderId).state;

/** The events of one type, as a TickResult lists them. */
const dataOf = <T extends PaperEvent['type']>(events: PaperEvent[], type: T) =>
  events.filter((e): e is Extract<PaperEvent, { type: T }> => e.type === type).map((e) => e.data as Extract<PaperEvent, { type: T }>['data']);

const tick = (state: PaperBrokerState, price: number, at = T1, extra: Parameters<typeof makeTick>[1] = {}, seed = 1): TickResult =>
  onTick(state, makeTick(price, extra), at, mulberry32(seed));

describe('paper broker: market orders', () => {
  it('fills a MARKET BUY completely at submission, at its signal\'s price with slippage against the trader, rounded to the tick size', () => {
    const result = submitting(broker(), { side: 'BUY', quantity: 10, referencePrice: 250_010 });
    expect(result.events.map((e) => [e.type, e.data.orderId])).toEqual([
      ['order_submitted', 'o1'],
      ['order_filled', 'o1'],
    ]);
    // 250010 x 1.001 = 250260.01 -> up to the next 5 paise: 250265
    expect(dataOf(result.events, 'order_filled')).toEqual([
      {
        orderId: 'o1',
        strategyId: 'momentum-1',
        instrumentToken: RELIANCE,
        tradingsymbol: 'RELIANCE',
        side: 'BUY',
        product: 'MIS',
        fillId: 'o1-1',
        quantity: 10,
        price: 250_265,
        cumulativeQuantity: 10,
        remainingQuantity: 0,
        // turnover 2,502,650: brokerage 0.03% = 750.795 -> 751; exchange 74.33 -> 74; SEBI 2.50265 -> 3;
        // stamp 0.003% = 75.0795 -> 75; GST 18% x (751 + 74 + 3 = 828) = 149.04 -> 149;
        // total 751 + 74 + 3 + 75 + 149 = 1052
        charges: { brokerage: 751, stt: 0, exchangeTransaction: 74, sebi: 3, stampDuty: 75, gst: 149, total: 1052 },
        filledAt: T0,
      },
    ]);
    expect(result.events.map((e) => e.order.correlationId)).toEqual(['c-o1', 'c-o1']);
    expect(result.state.orders).toEqual([]);
    expect(result.state.positions).toEqual({
      'momentum-1:738561:MIS': { strategyId: 'momentum-1', instrumentToken: RELIANCE, tradingsymbol: 'RELIANCE', product: 'MIS', quantity: 10, openValue: 2_502_650, openedAt: T0 },
    });
    // Whatever tick comes next, the order is not filled again.
    for (const price of [200_000, 250_010, 300_000]) expect(tick(result.state, price).events).toEqual([]);
  });

  it('fills a SELL lower', () => {
    // 250010 x 0.999 = 249759.99 -> down to 249755
    expect(dataOf(submitting(broker(), { side: 'SELL', quantity: 10, referencePrice: 250_010 }).events, 'order_filled')).toMatchObject([{ side: 'SELL', price: 249_755, filledAt: T0 }]);
  });

  it('gives the same fill for the same order and signal whether ticks were processed before the submission or not', () => {
    // A history: a resting limit filled by the second of two ticks, leaving a long of 10.
    let busy = submitted(broker(), { side: 'BUY', orderType: 'LIMIT', limitPrice: 249_500 }, 'o0');
    busy = tick(busy, 251_000, T1, {}, 5).state;
    busy = tick(busy, 249_000, T2, {}, 9).state;
    expect(busy.positions).toMatchObject({ 'momentum-1:738561:MIS': { quantity: 10 } });
    const fillOf = (state: PaperBrokerState) => dataOf(submitting(state, { side: 'BUY', quantity: 5, referencePrice: 250_000 }, 'o1').events, 'order_filled');
    expect(fillOf(busy)).toEqual(fillOf(broker()));
    expect(fillOf(busy)).toMatchObject([{ orderId: 'o1', quantity: 5, price: 250_250, filledAt: T0 }]);
  });

  it('is not capped by depth: the signal carries no order book', () => {
    const result = submitting(broker(), { side: 'BUY', quantity: 100_000 });
    expect(dataOf(result.events, 'order_filled')).toMatchObject([{ quantity: 100_000, remainingQuantity: 0 }]);
  });
});

describe('paper broker: limit and stop orders', () => {
  it('keeps a LIMIT open until a tick crosses it, then fills at the better price', () => {
    let state = submitted(broker(), { side: 'BUY', orderType: 'LIMIT', limitPrice: 249_500 });
    const above = tick(state, 250_000);
    expect(above.fills).toEqual([]);
    state = above.state;
    const crossed = tick(state, 249_000, T2);
    expect(crossed.fills).toMatchObject([{ price: 249_000, quantity: 10 }]);
    expect(crossed.state.orders).toEqual([]);
  });

  it('fills a SELL LIMIT when the price reaches it', () => {
    const state = submitted(broker(), { side: 'SELL', orderType: 'LIMIT', limitPrice: 251_000 });
    expect(tick(state, 250_995).fills).toEqual([]);
    expect(tick(state, 252_000).fills).toMatchObject([{ price: 252_000 }]);
  });

  it('triggers an SL-M sell when the price falls to the trigger and fills it as a market order', () => {
    const state = submitted(broker(), { side: 'SELL', orderType: 'SL-M', triggerPrice: 245_000 });
    expect(tick(state, 246_000).fills).toEqual([]);
    // 244000 x 0.999 = 243756 -> 243755
    expect(tick(state, 244_000).fills).toMatchObject([{ price: 243_755 }]);
  });

  it('keeps an SL triggered and fills it later, when the price comes back within its limit', () => {
    let state = submitted(broker(), { side: 'BUY', orderType: 'SL', triggerPrice: 252_000, limitPrice: 252_500 });
    const gapped = tick(state, 253_000);
    expect(gapped.fills).toEqual([]);
    expect(gapped.state.orders[0]!.triggered).toBe(true);
    state = gapped.state;
    expect(tick(state, 252_400, T2).fills).toMatchObject([{ price: 252_400 }]);
    // without the trigger having been reached, the same price does not fill it
    const fresh = submitted(broker(), { side: 'BUY', orderType: 'SL', triggerPrice: 252_000, limitPrice: 252_500 });
    expect(tick(fresh, 251_900).fills).toEqual([]);
  });
});

describe('paper broker: partial fills', () => {
  it('fills what the opposite depth allows and keeps the rest open across ticks', () => {
    let state = submitted(broker(), { side: 'BUY', quantity: 100, orderType: 'LIMIT', limitPrice: 250_100 });
    const fillsOf = (depth: number[], at: string) => {
      const sell = depth.map((quantity, i) => ({ price: 250_000 + 5 * i, quantity, orders: 1 }));
      const result = tick(state, 250_000, at, { depth: { buy: [], sell } });
      state = result.state;
      return result.fills.map((f) => [f.quantity, f.cumulativeQuantity, f.remainingQuantity, f.charges.brokerage]);
    };
    // the brokerage cap (₹20) is charged once per order, on the first fill
    expect(fillsOf([30, 20], T1)).toEqual([[50, 50, 50, 2000]]);
    expect(fillsOf([0], T2)).toEqual([]);
    expect(fillsOf([40], T3)).toEqual([[40, 90, 10, 0]]);
    expect(fillsOf([500], '2026-11-24T10:00:04+05:30')).toEqual([[10, 100, 0, 0]]);
    expect(state.orders).toEqual([]);
  });

  it('shares one tick\'s depth between orders in submission order (MARKET orders under a latency)', () => {
    const slow = createPaperBroker({ slippageBps: 10, slippageJitterBps: 0, tickSize: 5, latencyMs: 500 });
    let state = submitted(slow, { side: 'BUY', quantity: 30 }, 'o1');
    state = submitted(state, { side: 'BUY', quantity: 30 }, 'o2');
    const result = tick(state, 250_000, T1, { depth: { buy: [], sell: [{ price: 250_000, quantity: 40, orders: 2 }] } });
    expect(result.fills.map((f) => [f.orderId, f.quantity])).toEqual([
      ['o1', 30],
      ['o2', 10],
    ]);
  });

  it('counts only depth within a limit order\'s price', () => {
    const state = submitted(broker(), { side: 'BUY', quantity: 50, orderType: 'LIMIT', limitPrice: 250_000 });
    const sell = [
      { price: 250_000, quantity: 20, orders: 1 },
      { price: 250_050, quantity: 100, orders: 1 },
    ];
    expect(tick(state, 250_000, T1, { depth: { buy: [], sell } }).fills.map((f) => f.quantity)).toEqual([20]);
  });
});

describe('paper broker: take-profit and stop-loss exits', () => {
  const entry = { side: 'BUY' as const, quantity: 10, takeProfitPrice: 255_000, stopLossPrice: 245_000 };

  it('places both exits when a MARKET entry fills at submission, and the take-profit cancels the stop-loss', () => {
    const filled = submitting(broker(), entry);
    expect(filled.events.map((e) => [e.type, e.data.orderId])).toEqual([
      ['order_submitted', 'o1'],
      ['order_filled', 'o1'],
      ['order_submitted', 'o1-tp'],
      ['order_submitted', 'o1-sl'],
    ]);
    expect(dataOf(filled.events, 'order_submitted').slice(1)).toEqual([
      { orderId: 'o1-tp', strategyId: 'momentum-1', instrumentToken: RELIANCE, tradingsymbol: 'RELIANCE', side: 'SELL', product: 'MIS', quantity: 10, orderType: 'LIMIT', limitPrice: 255_000, parentOrderId: 'o1', submittedAt: T0 },
      { orderId: 'o1-sl', strategyId: 'momentum-1', instrumentToken: RELIANCE, tradingsymbol: 'RELIANCE', side: 'SELL', product: 'MIS', quantity: 10, orderType: 'SL-M', triggerPrice: 245_000, parentOrderId: 'o1', submittedAt: T0 },
    ]);
    expect(filled.events.map((e) => e.order.correlationId)).toEqual(['c-o1', 'c-o1', 'c-o1', 'c-o1']);
    expect(filled.state.orders.map((o) => o.orderId)).toEqual(['o1-tp', 'o1-sl']);
    const profit = tick(filled.state, 256_000, T2);
    expect(profit.fills).toMatchObject([{ orderId: 'o1-tp', side: 'SELL', quantity: 10, price: 256_000 }]);
    expect(profit.cancellations).toMatchObject([{ orderId: 'o1-sl', quantity: 10, reason: 'one-cancels-other: o1-tp filled' }]);
    expect(profit.state.orders).toEqual([]);
  });

  it('the stop-loss fills on a fall and cancels the take-profit', () => {
    const quiet = tick(submitted(broker(), entry), 250_000, T2);
    expect(quiet.fills).toEqual([]);
    const stopped = tick(quiet.state, 244_000, T3);
    expect(stopped.fills).toMatchObject([{ orderId: 'o1-sl', price: 243_755 }]);
    expect(stopped.cancellations.map((c) => c.orderId)).toEqual(['o1-tp']);
  });

  it('waits for a partially filled entry to complete before placing exits', () => {
    const state = submitted(broker(), { ...entry, orderType: 'LIMIT', limitPrice: 250_000 });
    const depth = (quantity: number) => ({ depth: { buy: [], sell: [{ price: 250_000, quantity, orders: 1 }] } });
    const partial = tick(state, 250_000, T1, depth(4));
    expect(partial.exits).toEqual([]);
    const rest = tick(partial.state, 250_000, T2, depth(100));
    expect(rest.exits.map((e) => [e.orderId, e.quantity])).toEqual([
      ['o1-tp', 10],
      ['o1-sl', 10],
    ]);
  });
});

describe('paper broker: rejections', () => {
  it('rejects a CNC BUY the available cash cannot pay for, at submission', () => {
    const result = submit(broker(), { validated: makeValidated(makeSignal({ quantity: 10, product: 'CNC' })), now: T0, orderId: 'o1', availableCash: 2_500_000, rng: mulberry32(1) });
    // 10 x ₹2,500 = ₹25,000 plus delivery charges on 2,500,000 paise: no brokerage, STT 0.1% = ₹25,
    // exchange 74.25 -> 74, SEBI 2.5 -> 3, stamp 0.015% = 375, GST 18% x 77 = 13.86 -> 14; total 2966
    expect(result).toMatchObject({ outcome: 'rejected', rejection: { orderId: 'o1', quantity: 10, rejectedAt: T0 } });
    expect(result.outcome === 'rejected' && result.rejection.reason).toBe('insufficient cash: order needs ₹25029.66, available ₹25000.00');
  });

  it('rejects a resting entry whose fill on a tick the margin cannot pay for, with its unfilled quantity', () => {
    const state = submitted(broker(), { quantity: 10, orderType: 'LIMIT', limitPrice: 250_000 });
    // 10 x 250000 / 5 = ₹5,000 of MIS margin plus charges, against ₹4,000
    const result = onTick(state, makeTick(250_000), T1, mulberry32(1), { availableCash: { 'momentum-1': 400_000 } });
    expect(result.fills).toEqual([]);
    expect(result.rejections).toMatchObject([{ orderId: 'o1', quantity: 10 }]);
    expect(result.rejections[0]!.reason).toMatch(/insufficient margin: fill needs ₹50\d\d\.\d\d, available ₹4000\.00/);
    expect(result.state.orders).toEqual([]);
  });

  it('rejects a MARKET entry whose fill at submission the free cash cannot pay for, after its order_submitted', () => {
    // 10 x 250250 / 5 = ₹5,005 of MIS margin plus charges, against ₹4,000
    const result = submitting(broker(), { quantity: 10 }, 'o1', { freeCash: 400_000 });
    expect(result.events.map((e) => e.type)).toEqual(['order_submitted', 'order_rejected']);
    expect(dataOf(result.events, 'order_rejected')).toMatchObject([{ orderId: 'o1', quantity: 10, rejectedAt: T0 }]);
    expect(dataOf(result.events, 'order_rejected')[0]!.reason).toMatch(/^insufficient margin: fill needs ₹50\d\d\.\d\d, available ₹4000\.00$/);
    expect([result.state.orders, result.state.positions]).toEqual([[], {}]);
  });

  it('places exits for the filled part of an entry that is rejected for cash midway', () => {
    let state = submitted(broker(), { quantity: 10, orderType: 'LIMIT', limitPrice: 250_000, takeProfitPrice: 255_000, stopLossPrice: 245_000 });
    const depth = { depth: { buy: [], sell: [{ price: 250_000, quantity: 4, orders: 1 }] } };
    state = onTick(state, makeTick(250_000, depth), T1, mulberry32(1)).state;
    const result = onTick(state, makeTick(250_000), T2, mulberry32(1), { availableCash: { 'momentum-1': 100_000 } });
    expect(result.rejections).toMatchObject([{ orderId: 'o1', quantity: 6 }]);
    expect(result.exits.map((e) => [e.orderId, e.side, e.quantity])).toEqual([
      ['o1-tp', 'SELL', 4],
      ['o1-sl', 'SELL', 4],
    ]);
  });

  it('rejects invalid orders with a reason', () => {
    const fail = (validated: Parameters<typeof submit>[1]['validated']) => {
      const result = submit(broker(), { validated, now: T0, orderId: 'bad', rng: mulberry32(1) });
      return result.outcome === 'rejected' ? result.rejection.reason : 'submitted';
    };
    expect(fail({ ...makeValidated(makeSignal()), approvedQuantity: 0 })).toBe('invalid quantity 0');
    expect(fail(makeValidated(makeSignal({ orderType: 'LIMIT' }), 250_000))).toBe('LIMIT order without a limit price');
    expect(fail(makeValidated(makeSignal({ orderType: 'SL-M' })))).toBe('SL-M order without a trigger price');
    expect(fail(makeValidated(makeSignal({ orderType: 'LIMIT', limitPrice: 250_003 })))).toMatch(/not a multiple of the tick size 5/);
  });

  it('is idempotent per order id and cancels open orders', () => {
    const limit = { orderType: 'LIMIT' as const, limitPrice: 240_000 };
    const state = submitted(broker(), limit);
    const again = submit(state, { validated: makeValidated(makeSignal(limit)), now: T1, orderId: 'o1', rng: mulberry32(1) });
    expect(again.state.orders).toHaveLength(1);
    const cancelled = cancel(state, 'o1', T1, 'end of day');
    expect(cancelled).toMatchObject({ cancellation: { orderId: 'o1', quantity: 10, reason: 'end of day' }, exits: [] });
    expect(cancelled!.state.orders).toEqual([]);
    expect(cancel(state, 'missing', T1)).toBeNull();
  });
});

describe('paper broker: determinism', () => {
  // Fills on ticks draw from the caller's generator: MARKET orders under a latency, filled at T1.
  const run = (seed: number, splitAt?: number) => {
    let state = createPaperBroker({ slippageBps: 5, slippageJitterBps: 20, tickSize: 5, latencyMs: 1_000 });
    let rng = mulberry32(seed);
    const prices: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      state = submitted(state, { side: i % 2 ? 'SELL' : 'BUY', quantity: 5 }, `o${i}`);
      const result = onTick(state, makeTick(250_000 + 100 * i), T1, rng);
      state = JSON.parse(JSON.stringify(result.state));
      prices.push(...result.fills.map((f) => f.price));
      if (i === splitAt) rng = mulberry32(rng.state()); // resume from persisted generator state
    }
    return prices;
  };

  it('gives the same fills for the same seed, also across a persisted rng state', () => {
    expect(run(42)).toEqual(run(42));
    expect(run(42, 5)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    expect(run(42)).toHaveLength(12);
  });

  it('gives the same fill at submission for the same generator, and draws the jitter from it alone', () => {
    const jittery = createPaperBroker({ slippageBps: 5, slippageJitterBps: 20, tickSize: 5 });
    const priceOf = (seed: number) => dataOf(submitting(jittery, { quantity: 5 }, 'o1', { rng: mulberry32(seed) }).events, 'order_filled')[0]!.price;
    expect(priceOf(42)).toBe(priceOf(42));
    const prices = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(priceOf));
    expect(prices.size).toBeGreaterThan(1);
    for (const price of prices) expect(price).toBeGreaterThanOrEqual(250_125); // 5 bps, plus 0-20
  });

  it('charges of partial fills add up to the charges of the whole order', () => {
    let state = submitted(broker(), { quantity: 100, orderType: 'LIMIT', limitPrice: 252_000 });
    const fills = [];
    for (const [i, quantity] of [33, 33, 34].entries()) {
      const result = tick(state, 250_000 + 500 * i, T1, { depth: { buy: [], sell: [{ price: 250_000, quantity, orders: 1 }] } });
      state = result.state;
      fills.push(...result.fills);
    }
    const turnover = fills.reduce((sum, f) => sum + f.price * f.quantity, 0);
    const total = fills.reduce((sum, f) => add(sum, paise(f.charges.total)), paise(0));
    expect(total).toBe(chargesForTurnover('MIS', 'BUY', paise(turnover)).total);
  });
});

describe('paper broker: latency', () => {
  const slow = () => createPaperBroker({ slippageBps: 10, slippageJitterBps: 0, tickSize: 5, latencyMs: 1_500 });
  const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

  it('does not fill a MARKET entry at submission: it ignores ticks stamped before submission time + latency, then fills on the first one after', () => {
    const accepted = submitting(slow(), { side: 'BUY', quantity: 10 });
    expect(accepted.events.map((e) => e.type)).toEqual(['order_submitted']);
    let state = accepted.state;
    expect(state.orders.map((o) => [o.orderId, o.filledQuantity])).toEqual([['o1', 0]]);
    const early = onTick(state, makeTick(250_010), at(1_499), mulberry32(1));
    expect(early.fills).toEqual([]);
    state = early.state;
    const due = onTick(state, makeTick(250_010), at(1_500), mulberry32(1));
    expect(due.fills).toMatchObject([{ orderId: 'o1', quantity: 10, price: 250_265, filledAt: at(1_500) }]);
  });

  it('delays the exits too: they are submitted at the entry fill and wait their own latency', () => {
    let state = submitted(slow(), { side: 'BUY', quantity: 10, takeProfitPrice: 251_000 });
    const entry = onTick(state, makeTick(250_010), at(2_000), mulberry32(1));
    expect(entry.exits).toMatchObject([{ orderId: 'o1-tp', submittedAt: at(2_000) }]);
    state = entry.state;
    expect(onTick(state, makeTick(252_000), at(3_000), mulberry32(1)).fills).toEqual([]);
    expect(onTick(state, makeTick(252_000), at(3_500), mulberry32(1)).fills).toMatchObject([{ orderId: 'o1-tp', price: 252_000 }]);
  });

  // Ticks reach the engine late at times (a backlog, a restart, ticks taken in batches): a tick
  // processed after the order was submitted may be older than it.
  it('without latency a resting order ignores the ticks stamped before its submission and fills on the first at or after it', () => {
    const state = submitted(broker(), { side: 'BUY', quantity: 10, orderType: 'LIMIT', limitPrice: 250_010 });
    expect(onTick(state, makeTick(250_010), at(-1), mulberry32(1)).fills).toEqual([]);
    expect(onTick(state, makeTick(250_010), at(0), mulberry32(1)).fills).toMatchObject([{ orderId: 'o1', price: 250_010 }]);
  });
});

describe('paper broker: exits are reduce-only', () => {
  const entry = { side: 'BUY' as const, quantity: 10, takeProfitPrice: 255_000, stopLossPrice: 245_000 };

  it('cancels the exits when the strategy closes the position itself, so a later trigger opens nothing', () => {
    const filled = submitted(broker(), entry);
    const closing = submitting(filled, { side: 'SELL', quantity: 10 }, 'o2');
    expect(dataOf(closing.events, 'order_filled').map((f) => f.orderId)).toEqual(['o2']);
    expect(dataOf(closing.events, 'order_cancelled').map((c) => [c.orderId, c.quantity, c.reason])).toEqual([
      ['o1-tp', 10, 'position closed: o2 filled'],
      ['o1-sl', 10, 'position closed: o2 filled'],
    ]);
    expect(closing.state.orders).toEqual([]);
    const fall = tick(closing.state, 244_000, T3);
    expect(fall.fills).toEqual([]);
  });

  it('cuts the exits down to what is left of a position another order reduced, and never flips it', () => {
    const reduced = submitting(submitted(broker(), entry), { side: 'SELL', quantity: 6 }, 'o2');
    expect(dataOf(reduced.events, 'order_cancelled').map((c) => [c.orderId, c.quantity, c.reason])).toEqual([
      ['o1-tp', 6, 'position reduced to 4 by o2'],
      ['o1-sl', 6, 'position reduced to 4 by o2'],
    ]);
    expect(reduced.state.orders.map((o) => [o.orderId, o.quantity])).toEqual([
      ['o1-tp', 4],
      ['o1-sl', 4],
    ]);
    const stopped = tick(reduced.state, 244_000, T3);
    expect(stopped.fills.map((f) => [f.orderId, f.quantity])).toEqual([['o1-sl', 4]]);
    expect(stopped.state.positions).toEqual({});
  });

  it('in one tick, an entry ahead of the exits reduces the position and the take-profit fills only the rest', () => {
    let state = submitted(broker(), { ...entry, orderType: 'LIMIT', limitPrice: 250_000 });
    state = submitted(state, { side: 'SELL', quantity: 6, orderType: 'LIMIT', limitPrice: 251_000 }, 'o2');
    state = tick(state, 250_000).state; // o1 fills; o2 rests ahead of the exits placed now
    const rally = tick(state, 256_000, T2);
    expect(rally.fills.map((f) => [f.orderId, f.quantity])).toEqual([
      ['o2', 6],
      ['o1-tp', 4],
    ]);
    expect(rally.cancellations.map((c) => [c.orderId, c.quantity, c.reason])).toEqual([
      ['o1-tp', 6, 'position reduced to 4 by o2'],
      ['o1-sl', 6, 'position reduced to 4 by o2'],
      ['o1-sl', 4, 'one-cancels-other: o1-tp filled'],
    ]);
    expect(rally.state.orders).toEqual([]);
    expect(rally.state.positions).toEqual({});
  });
});

describe('paper broker: one-cancels-other after a partial fill', () => {
  const entry = { side: 'BUY' as const, quantity: 10, takeProfitPrice: 255_000, stopLossPrice: 245_000 };

  it('shrinks the other exit to what is still open, and cancels it only when the position is closed', () => {
    const filled = submitted(broker(), entry);
    const bid = (quantity: number) => ({ depth: { buy: [{ price: 256_000, quantity, orders: 1 }], sell: [] } });
    const partial = tick(filled, 256_000, T2, bid(4));
    expect(partial.fills.map((f) => [f.orderId, f.quantity])).toEqual([['o1-tp', 4]]);
    expect(partial.cancellations.map((c) => [c.orderId, c.quantity, c.reason])).toEqual([
      ['o1-sl', 4, 'one-cancels-other: o1-tp filled 4, 6 left open'],
    ]);
    expect(partial.state.orders.map((o) => [o.orderId, o.quantity - o.filledQuantity])).toEqual([
      ['o1-tp', 6],
      ['o1-sl', 6],
    ]);
    // The rest of the position is still protected by the stop.
    const stopped = tick(partial.state, 244_000, T3);
    expect(stopped.fills.map((f) => [f.orderId, f.quantity])).toEqual([['o1-sl', 6]]);
    expect(stopped.cancellations.map((c) => [c.orderId, c.quantity, c.reason])).toEqual([['o1-tp', 6, 'one-cancels-other: o1-sl filled']]);
    expect(stopped.state.orders).toEqual([]);
  });
});
