import { describe, expect, it } from 'vitest';
import { NO_PROGRESS, type KiteOrderProgress } from '../../core/broker/kite-order-events';
import { kiteTagFor, parseKiteOrderUpdate, toKitePosition, type KiteOrder, type KitePosition } from '../../core/broker/kite-order-model';
import { RECONCILED_STRATEGY } from '../../core/domain/trading/portfolio';
import { followOrders, KITE_STATE_VERSION, type KiteAccountState, type LocalPosition, type TrackedOrder } from './kite-account-state';
import { NOT_IN_ORDER_BOOK, reconcileKiteAccount, type KiteAccountAtStart } from './kite-reconciliation';

const INFY = 408065;
const NOW = new Date('2026-03-02T05:00:00Z'); // 10:30 IST
const ORDER_ID = '0196f3a0-1111-7000-8000-000000000001';
const KITE_ID = '260302000000123';
const context = { namespace: 'zerodha' as const, now: NOW };

/** An order-book row as Kite's GET /orders gives it, tagged as the platform's order ORDER_ID unless told. */
function bookRow(extra: Record<string, unknown> = {}): KiteOrder {
  return parseKiteOrderUpdate({
    order_id: KITE_ID,
    exchange_order_id: '1300000000000123',
    status: 'OPEN',
    tag: kiteTagFor(ORDER_ID),
    exchange: 'NSE',
    tradingsymbol: 'INFY',
    instrument_token: INFY,
    transaction_type: 'BUY',
    order_type: 'LIMIT',
    product: 'MIS',
    quantity: 5,
    price: 1500.25,
    average_price: 0,
    filled_quantity: 0,
    order_timestamp: '2026-03-02 10:00:00',
    exchange_timestamp: '2026-03-02 10:00:01',
    exchange_update_timestamp: '2026-03-02 10:00:01',
    ...extra,
  });
}

const filledRow = (quantity: number, extra: Record<string, unknown> = {}) => bookRow({ status: quantity === 5 ? 'COMPLETE' : 'OPEN', average_price: 1500.25, filled_quantity: quantity, ...extra });

function position(quantity: number, extra: Record<string, unknown> = {}): KitePosition {
  return toKitePosition({ exchange: 'NSE', tradingsymbol: 'INFY', instrument_token: INFY, product: 'MIS', quantity, average_price: 1500.25, last_price: 1501, ...extra });
}

function tracked(progress: KiteOrderProgress = { ...NO_PROGRESS, submitted: true }): TrackedOrder {
  return {
    context: { orderId: ORDER_ID, strategyId: 'live-1', instrumentToken: INFY, tradingsymbol: 'INFY', side: 'BUY', product: 'MIS' },
    kiteOrderId: KITE_ID,
    orderType: 'LIMIT',
    quantity: 5,
    limitPrice: 150_025,
    triggerPrice: null,
    correlationId: '0196f3a0-2222-7000-8000-000000000002',
    submittedAt: '2026-03-02T04:30:00.000Z',
    progress,
  };
}

function state(parts: { open?: TrackedOrder[]; positions?: LocalPosition[]; settled?: string[] } = {}): KiteAccountState {
  return {
    version: KITE_STATE_VERSION,
    open: Object.fromEntries((parts.open ?? []).map((order) => [order.context.orderId, order])),
    positions: Object.fromEntries((parts.positions ?? []).map((held) => [`${held.instrumentToken}:${held.product}`, held])),
    settled: parts.settled ?? [],
  };
}

const held = (quantity: number, product = 'MIS'): LocalPosition => ({ instrumentToken: INFY, tradingsymbol: 'INFY', product, quantity });
const account = (orders: KiteOrder[], positions: KitePosition[]): KiteAccountAtStart => ({ orders, positions });
const fills = (reports: ReturnType<typeof reconcileKiteAccount>['reports']) => reports.filter((report) => report.type === 'order_filled');

describe('reconciliation of the Kite account at start', () => {
  it('adopts a position bought outside the platform, in the reconciled book at its average price, once', () => {
    const outside = bookRow({ order_id: '260302000000900', tag: null, order_type: 'MARKET', product: 'CNC', quantity: 7, status: 'COMPLETE', filled_quantity: 7, average_price: 1499 });
    const kite = account([outside], [position(7, { product: 'CNC', average_price: 1499 })]);
    const result = reconcileKiteAccount(state(), kite, context);

    expect(result.reports).toHaveLength(1);
    const [adoption] = result.reports;
    expect(adoption).toMatchObject({ type: 'order_filled', data: { strategyId: RECONCILED_STRATEGY, instrumentToken: INFY, side: 'BUY', quantity: 7, price: 149_900, product: 'CNC', charges: { total: 0 } } });
    expect(adoption!.order).toMatchObject({ status: 'COMPLETE', filledQuantity: 7, averagePrice: 149_900 });
    expect(result.state.positions[`${INFY}:CNC`]?.quantity).toBe(7);
    expect(result.differences).toEqual(['INFY (408065) CNC: 7 at Zerodha, 0 here; adopted']);
    // The same start again (a crash before the commit) gives the same fill id; once adopted, nothing differs.
    expect(reconcileKiteAccount(state(), kite, context).reports[0]!.data).toEqual(adoption!.data);
    expect(reconcileKiteAccount(result.state, kite, context)).toMatchObject({ reports: [], differences: [] });
  });

  it('leaves alone a position in a product the platform does not trade, or with no price', () => {
    const result = reconcileKiteAccount(state(), account([], [position(3, { product: 'NRML' }), position(2, { product: 'CNC', average_price: 0, last_price: 0 })]), context);
    expect(result.reports).toEqual([]);
    expect(result.state.positions).toEqual({});
    expect(result.differences).toEqual([
      'INFY (408065) NRML: 3 at Zerodha, 0 here; product NRML is not traded by the platform, left alone',
      'INFY (408065) CNC: 2 at Zerodha, 0 here; no price to adopt it at, left alone',
    ]);
  });

  it("does not adopt the fills of a platform-tagged order never committed: its signal, processed again, books them", () => {
    const result = reconcileKiteAccount(state(), account([filledRow(5)], [position(5)]), context);
    expect(result.reports).toEqual([]);
    expect(result.state.positions).toEqual({});
    expect(result.state.open).toEqual({});
    expect(result.differences).toHaveLength(1);
    expect(result.differences[0]).toMatch(new RegExp(`^order ${KITE_ID} at Zerodha \\(INFY BUY 5, tag ${kiteTagFor(ORDER_ID)}, COMPLETE, 5 filled\\) was placed before a restart and not recorded`));
  });

  it('shows a platform-tagged order never committed that is still open at Zerodha', () => {
    const result = reconcileKiteAccount(state(), account([bookRow()], []), context);
    expect(result.reports).toEqual([]);
    expect(result.differences).toEqual([expect.stringMatching(/^order 260302000000123 at Zerodha \(INFY BUY 5, tag AP\w+, OPEN, 0 filled\) was placed before a restart and not recorded; followed once its signal is processed again$/)]);
  });

  it('books the fills a followed order made while the engine was stopped, once, and settles it', () => {
    const kite = account([filledRow(5)], [position(5)]);
    const result = reconcileKiteAccount(state({ open: [tracked()] }), kite, context);

    expect(result.reports.map((report) => report.type)).toEqual(['order_filled']);
    expect(result.reports[0]).toMatchObject({ originId: ORDER_ID, data: { orderId: ORDER_ID, strategyId: 'live-1', fillId: `${ORDER_ID}-5`, quantity: 5, price: 150_025, brokerOrderId: KITE_ID }, order: { status: 'COMPLETE', filledQuantity: 5 } });
    expect(result.state.open).toEqual({});
    expect(result.state.settled).toEqual([KITE_ID]);
    expect(result.state.positions[`${INFY}:MIS`]?.quantity).toBe(5);
    expect(result.differences).toEqual([`order ${ORDER_ID} (Kite ${KITE_ID}, INFY BUY 5): COMPLETE at Zerodha with 5 filled, 0 seen here; brought up to Zerodha's`]);
    // Polling after the start finds nothing more to report, and a second start nothing to adopt.
    expect(followOrders(result.state, new Map([[KITE_ID, filledRow(5)]])).reports).toEqual([]);
    expect(reconcileKiteAccount(result.state, kite, context)).toMatchObject({ reports: [], differences: [] });
  });

  it('books only the part of a fill not seen before the stop', () => {
    const seen = { submitted: true, filledQuantity: 2, filledTurnover: 2 * 150_025, ended: false };
    const result = reconcileKiteAccount(state({ open: [tracked(seen)], positions: [held(2)] }), account([filledRow(5)], [position(5)]), context);
    expect(fills(result.reports).map((report) => report.data)).toEqual([expect.objectContaining({ fillId: `${ORDER_ID}-5`, quantity: 3, cumulativeQuantity: 5 })]);
    expect(result.state.positions[`${INFY}:MIS`]?.quantity).toBe(5);
    expect(fills(result.reports).some((report) => report.data.strategyId === RECONCILED_STRATEGY)).toBe(false);
  });

  it('says nothing of a followed order still open and unchanged', () => {
    const result = reconcileKiteAccount(state({ open: [tracked()] }), account([bookRow()], []), context);
    expect(result).toMatchObject({ reports: [], differences: [] });
    expect(result.state.open[ORDER_ID]).toEqual(tracked());
  });

  it("resolves a followed order cancelled at Zerodha while the engine was stopped to Zerodha's state", () => {
    const cancelled = bookRow({ status: 'CANCELLED', status_message: 'Cancelled by the user in Kite', cancelled_quantity: 5 });
    const result = reconcileKiteAccount(state({ open: [tracked()] }), account([cancelled], []), context);
    expect(result.reports).toMatchObject([{ type: 'order_cancelled', data: { orderId: ORDER_ID, quantity: 5, reason: 'Cancelled by the user in Kite' }, order: { status: 'CANCELLED' } }]);
    expect(result.state.open).toEqual({});
    expect(result.differences).toEqual([`order ${ORDER_ID} (Kite ${KITE_ID}, INFY BUY 5): CANCELLED at Zerodha with 0 filled, 0 seen here; brought up to Zerodha's`]);
  });

  it("closes here a followed order that Zerodha's order book does not hold", () => {
    const result = reconcileKiteAccount(state({ open: [tracked()] }), account([], []), context);
    expect(result.reports).toMatchObject([{ type: 'order_cancelled', originId: ORDER_ID, data: { orderId: ORDER_ID, quantity: 5, reason: NOT_IN_ORDER_BOOK }, order: { status: 'CANCELLED', failureReason: NOT_IN_ORDER_BOOK } }]);
    expect(result.state.open).toEqual({});
    expect(result.differences).toEqual([`order ${ORDER_ID} (Kite ${KITE_ID}, INFY BUY 5) is not in Zerodha's order book; closed here as cancelled`]);
  });

  it('adopts a position closed outside the platform that Zerodha still lists, selling it in the reconciled book', () => {
    const result = reconcileKiteAccount(state({ positions: [held(5)] }), account([], [position(0, { average_price: 0, last_price: 1510 })]), context);
    expect(result.reports).toMatchObject([{ type: 'order_filled', data: { strategyId: RECONCILED_STRATEGY, side: 'SELL', quantity: 5, price: 151_000 } }]);
    expect(result.state.positions[`${INFY}:MIS`]?.quantity).toBe(0);
    expect(result.differences).toEqual(['INFY (408065) MIS: 0 at Zerodha, 5 here; adopted']);
  });

  it('shows a position held here that Zerodha does not list, and leaves it alone', () => {
    const before = state({ positions: [held(5, 'CNC')] });
    const result = reconcileKiteAccount(before, account([], []), context);
    expect(result.reports).toEqual([]);
    expect(result.state.positions).toEqual(before.positions);
    expect(result.differences).toEqual(['INFY (408065) CNC: none at Zerodha, 5 here; closed outside the platform (or, CNC, moved to holdings), left alone']);
  });

  it('shows an open order placed outside the platform and leaves it to Zerodha', () => {
    const outside = bookRow({ order_id: '260302000000777', tag: null, quantity: 9 });
    const result = reconcileKiteAccount(state(), account([outside], []), context);
    expect(result.reports).toEqual([]);
    expect(result.state.open).toEqual({});
    expect(result.differences).toEqual(['open order 260302000000777 at Zerodha (INFY BUY 9 LIMIT) was not placed by this engine; left to Zerodha, not followed (a fill of it is adopted at the next start)']);
  });

  it("forgets settled orders that are no longer in the day's book", () => {
    const today = filledRow(5);
    const result = reconcileKiteAccount(state({ positions: [held(5)], settled: [KITE_ID, '260227000000001'] }), account([today], [position(5)]), context);
    expect(result.state.settled).toEqual([KITE_ID]);
    expect(result).toMatchObject({ reports: [], differences: [] });
  });
});
