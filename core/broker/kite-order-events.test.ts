import { describe, expect, it } from 'vitest';
import { eventDataSchemas } from '../domain/events';
import { fillCharges, orderCharges } from '../domain/trading/charges';
import { paise } from '../domain/money';
import { kiteOrderEvents, KiteOrderMismatchError, NO_PROGRESS, type KiteOrderContext, type KiteOrderEvent, type KiteOrderProgress } from './kite-order-events';
import { kiteTagFor, parseKiteOrderUpdate } from './kite-order-model';

const context: KiteOrderContext = {
  orderId: '0196f3a0-1111-7000-8000-000000000001',
  strategyId: 'momentum-1',
  instrumentToken: 408065,
  tradingsymbol: 'INFY',
  side: 'BUY',
  product: 'MIS',
};

/** A Kite order update in the shape the ticker's text frames and postbacks carry. */
function kite(status: string, extra: Record<string, unknown> = {}) {
  return parseKiteOrderUpdate({
    order_id: '260302000000123',
    exchange_order_id: '1300000000000123',
    status,
    status_message: null,
    tag: kiteTagFor(context.orderId),
    exchange: 'NSE',
    tradingsymbol: 'INFY',
    instrument_token: 408065,
    transaction_type: 'BUY',
    order_type: 'LIMIT',
    product: 'MIS',
    quantity: 100,
    price: 1500,
    trigger_price: 0,
    average_price: 0,
    filled_quantity: 0,
    pending_quantity: 100,
    cancelled_quantity: 0,
    order_timestamp: '2026-03-02 10:00:00',
    exchange_timestamp: '2026-03-02 10:00:01',
    exchange_update_timestamp: '2026-03-02 10:00:01',
    ...extra,
  });
}

function replay(updates: ReturnType<typeof kite>[], start: KiteOrderProgress = NO_PROGRESS) {
  let progress = start;
  const events: KiteOrderEvent[] = [];
  for (const update of updates) {
    const result = kiteOrderEvents(context, progress, update);
    progress = result.progress;
    events.push(...result.events);
  }
  return { progress, events };
}

describe('kiteOrderEvents', () => {
  it('reports nothing before Kite accepts the order, then order_submitted once', () => {
    const { events } = replay([kite('PUT ORDER REQ RECEIVED'), kite('VALIDATION PENDING'), kite('OPEN PENDING'), kite('OPEN'), kite('OPEN')]);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      type: 'order_submitted',
      data: { orderId: context.orderId, strategyId: 'momentum-1', instrumentToken: 408065, tradingsymbol: 'INFY', side: 'BUY', product: 'MIS', quantity: 100, orderType: 'LIMIT', limitPrice: 150_000, submittedAt: '2026-03-02T04:30:00.000Z' },
    });
  });

  it('reports each partial fill once, at its own price, with its share of the charges', () => {
    const updates = [
      kite('OPEN'),
      kite('OPEN', { filled_quantity: 40, pending_quantity: 60, average_price: 1500, exchange_update_timestamp: '2026-03-02 10:05:00' }),
      // The same update delivered twice adds nothing.
      kite('OPEN', { filled_quantity: 40, pending_quantity: 60, average_price: 1500, exchange_update_timestamp: '2026-03-02 10:05:00' }),
      // 60 more at 1499.50: the average becomes (40 x 1500 + 60 x 1499.5) / 100 = 1499.7.
      kite('COMPLETE', { filled_quantity: 100, pending_quantity: 0, average_price: 1499.7, exchange_update_timestamp: '2026-03-02 10:06:30' }),
      kite('COMPLETE', { filled_quantity: 100, pending_quantity: 0, average_price: 1499.7 }),
    ];
    const { events, progress } = replay(updates);
    const fills = events.filter((e) => e.type === 'order_filled').map((e) => e.data);
    expect(fills).toMatchObject([
      { fillId: `${context.orderId}-40`, quantity: 40, price: 150_000, cumulativeQuantity: 40, remainingQuantity: 60, brokerOrderId: '260302000000123', filledAt: '2026-03-02T04:35:00.000Z' },
      { fillId: `${context.orderId}-100`, quantity: 60, price: 149_950, cumulativeQuantity: 100, remainingQuantity: 0, filledAt: '2026-03-02T04:36:30.000Z' },
    ]);
    expect(fills[0]!.charges).toEqual(fillCharges('MIS', 'BUY', paise(0), paise(6_000_000)));
    expect(fills[1]!.charges).toEqual(fillCharges('MIS', 'BUY', paise(6_000_000), paise(8_997_000)));
    // The fills' charges add up to the order's.
    expect(fills[0]!.charges.total + fills[1]!.charges.total).toBe(orderCharges('MIS', 'BUY', paise(149_970), 100).total);
    expect(progress).toMatchObject({ ended: true, filledQuantity: 100, filledTurnover: 14_997_000 });
  });

  it("ignores an older snapshot delivered after a newer one", () => {
    const { events } = replay([
      kite('OPEN', { filled_quantity: 40, pending_quantity: 60, average_price: 1500 }),
      kite('OPEN'),
      kite('OPEN', { filled_quantity: 40, pending_quantity: 60, average_price: 1500 }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['order_submitted', 'order_filled']);
  });

  it('waits for the average price before reporting a fill', () => {
    const { events } = replay([kite('OPEN', { filled_quantity: 10, average_price: 0 }), kite('OPEN', { filled_quantity: 10, average_price: 1500 })]);
    expect(events.filter((e) => e.type === 'order_filled')).toMatchObject([{ data: { quantity: 10, price: 150_000 } }]);
  });

  it("reports a rejection by Kite's RMS with its status_message and no submission", () => {
    const reason = 'Insufficient funds. Required margin is 150250.00 but available margin is 1000.00.';
    const { events, progress } = replay([kite('PUT ORDER REQ RECEIVED'), kite('VALIDATION PENDING'), kite('REJECTED', { status_message: reason, pending_quantity: 0 })]);
    expect(events).toEqual([
      {
        type: 'order_rejected',
        data: { orderId: context.orderId, strategyId: 'momentum-1', instrumentToken: 408065, tradingsymbol: 'INFY', side: 'BUY', product: 'MIS', quantity: 100, reason, rejectedAt: '2026-03-02T04:30:01.000Z' },
      },
    ]);
    expect(progress.ended).toBe(true);
    expect(replay([kite('OPEN')], progress).events).toEqual([]);
  });

  it('reports a cancellation after a partial fill for the unfilled quantity only', () => {
    const { events } = replay([
      kite('OPEN', { filled_quantity: 30, average_price: 1500 }),
      kite('CANCELLED', { filled_quantity: 30, average_price: 1500, pending_quantity: 0, cancelled_quantity: 70, exchange_update_timestamp: '2026-03-02 11:00:00' }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['order_submitted', 'order_filled', 'order_cancelled']);
    expect(events[2]!.data).toMatchObject({ quantity: 70, reason: 'Cancelled', cancelledAt: '2026-03-02T05:30:00.000Z' });
  });

  it('reports the fills a terminal snapshot reveals before its end', () => {
    const { events } = replay([kite('COMPLETE', { order_type: 'MARKET', price: 0, filled_quantity: 100, pending_quantity: 0, average_price: 1500.25 })]);
    expect(events.map((e) => e.type)).toEqual(['order_submitted', 'order_filled']);
    expect(events[0]!.data).not.toHaveProperty('limitPrice');
    expect(events[1]!.data).toMatchObject({ quantity: 100, price: 150_025 });
  });

  it('produces data every consumer accepts', () => {
    const { events } = replay([
      kite('OPEN'),
      kite('OPEN', { filled_quantity: 40, average_price: 1500 }),
      kite('CANCELLED', { filled_quantity: 40, average_price: 1500, status_message: 'Cancelled by the exchange' }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['order_submitted', 'order_filled', 'order_cancelled']);
    for (const event of events) expect(eventDataSchemas[event.type].parse(event.data)).toEqual(event.data);
  });

  it("refuses an update of another order (a tag that is not this order's)", () => {
    expect(() => kiteOrderEvents(context, NO_PROGRESS, kite('OPEN', { tag: 'AP000000000000000000' }))).toThrow(KiteOrderMismatchError);
  });
});
