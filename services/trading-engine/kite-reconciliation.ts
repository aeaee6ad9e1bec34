// Reconciliation of the Kite account at start, pure: Kite's order book and net positions, read
// once, against the adapter's state. Zerodha wins; every difference is described (the engine logs
// them and its health, hence `alpha-panda status`, shows them):
//   - orders this engine follows are brought up to the book first: what filled, was cancelled or
//     rejected while the engine was stopped is reported now, once (the same events polling would
//     have given, with the same ids), so the positions compared below include those fills;
//   - a followed order the book does not hold (the book is the day's) ended at Zerodha unseen: it
//     is closed here as cancelled, and what it may have filled shows in the positions;
//   - an order with the platform's tag that is neither followed nor settled was placed before a
//     crash and never committed: its signal is processed again and follows it (by its tag), so its
//     fills are the engine's still to book, not adopted (adopting them would book them twice);
//   - a position that differs from what the engine booked (and is still to book) is adopted with
//     a reconciling fill in the reconciled book (RECONCILED_STRATEGY);
//   - an open order placed outside the platform is shown and left to Zerodha;
//   - a position held here that Zerodha does not list is shown and left alone: Kite lists a CNC
//     position that moved to holdings no more, and there is no price to book a close at.
import { NO_PROGRESS } from '../../core/broker/kite-order-events';
import { isPlatformTag, type KiteOrder, type KitePosition } from '../../core/broker/kite-order-model';
import { namedEventId } from '../../core/domain/ids';
import { toIst } from '../../core/domain/market-hours';
import { paise } from '../../core/domain/money';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { RECONCILED_STRATEGY } from '../../core/domain/trading/portfolio';
import type { ExecutionReport } from './broker';
import { applyFill, followOrders, positionKey, recordOf, type KiteAccountState, type OrderChange, type TrackedOrder } from './kite-account-state';

/** Kite's account as read at start. */
export interface KiteAccountAtStart {
  orders: readonly KiteOrder[];
  /** Kite's net positions. */
  positions: readonly KitePosition[];
}

export interface Reconciliation {
  state: KiteAccountState;
  reports: ExecutionReport[];
  differences: string[];
}

const ZERO_CHARGES = { brokerage: 0, stt: 0, exchangeTransaction: 0, sebi: 0, stampDuty: 0, gst: 0, total: 0 };
const OPEN_AT_KITE = new Set(['OPEN', 'TRIGGER PENDING', 'AMO REQ RECEIVED']);
const TRADED_PRODUCTS = new Set(['MIS', 'CNC']);
export const NOT_IN_ORDER_BOOK = "not in Zerodha's order book at start (the book holds the day's orders)";

const describeOrder = (order: TrackedOrder) => `order ${order.context.orderId} (Kite ${order.kiteOrderId}, ${order.context.tradingsymbol} ${order.context.side} ${order.quantity})`;

export function reconcileKiteAccount(state: KiteAccountState, account: KiteAccountAtStart, context: { namespace: BrokerNamespace; now: Date }): Reconciliation {
  const { namespace, now } = context;
  const at = now.toISOString();
  const book = new Map(account.orders.map((order) => [order.orderId, order]));
  const differences: string[] = [];

  // 1. The followed orders, brought up to the book.
  const followed = followOrders(state, book);
  const reports = [...followed.reports];
  for (const change of followed.changes) {
    const description = describeChange(change);
    if (description) differences.push(description);
  }
  const open = { ...followed.state.open };
  for (const [orderId, tracked] of Object.entries(open)) {
    if (book.has(tracked.kiteOrderId)) continue;
    delete open[orderId];
    differences.push(`${describeOrder(tracked)} is not in Zerodha's order book; closed here as cancelled`);
    const unfilled = tracked.quantity - tracked.progress.filledQuantity;
    const { orderId: id, strategyId, instrumentToken, tradingsymbol, side, product } = tracked.context;
    reports.push({
      type: 'order_cancelled',
      originId: orderId,
      data: { orderId: id, strategyId, instrumentToken, tradingsymbol, side, product, quantity: unfilled, reason: NOT_IN_ORDER_BOOK, cancelledAt: at },
      order: recordOf(tracked, 'CANCELLED', { ...tracked.progress, ended: true }, NOT_IN_ORDER_BOOK),
    });
  }
  const local = { ...followed.state.positions };

  // 2. Fills of orders placed and not committed: the engine's still to book.
  const known = new Set([...Object.values(state.open).map((order) => order.kiteOrderId), ...(state.settled ?? [])]);
  const coming = new Map<string, number>();
  for (const order of account.orders) {
    if (!isPlatformTag(order.tag) || known.has(order.orderId)) continue;
    differences.push(
      `order ${order.orderId} at Zerodha (${order.tradingsymbol} ${order.side} ${order.quantity}, tag ${order.tag}, ${order.status}, ${order.filledQuantity} filled) was placed before a restart and not recorded; followed once its signal is processed again`,
    );
    if (order.filledQuantity === 0) continue;
    const key = positionKey(order.instrumentToken, order.product);
    coming.set(key, (coming.get(key) ?? 0) + (order.side === 'BUY' ? order.filledQuantity : -order.filledQuantity));
  }

  // 3. Positions: Zerodha's against what is booked here and still to book.
  const dayStart = new Date(`${toIst(now).date}T00:00:00+05:30`);
  const listed = new Set<string>();
  for (const position of account.positions) {
    const key = positionKey(position.instrumentToken, position.product);
    listed.add(key);
    const expected = (local[key]?.quantity ?? 0) + (coming.get(key) ?? 0);
    if (position.quantity === expected) continue;
    const what = `${position.tradingsymbol} (${position.instrumentToken}) ${position.product}: ${position.quantity} at Zerodha, ${expected} here`;
    const price = position.averagePrice || position.lastPrice;
    if (!TRADED_PRODUCTS.has(position.product)) differences.push(`${what}; product ${position.product} is not traded by the platform, left alone`);
    else if (price <= 0) differences.push(`${what}; no price to adopt it at, left alone`);
    else {
      differences.push(`${what}; adopted`);
      const originId = namedEventId(dayStart, `reconcile:${namespace}:${position.instrumentToken}:${position.product}:${expected}:${position.quantity}`);
      const adoption = adoptionFill(originId, position, position.quantity - expected, price, at);
      applyFill(local, adoption.data);
      reports.push(adoption);
    }
  }
  for (const [key, position] of Object.entries(local)) {
    if (!listed.has(key) && position.quantity !== 0) {
      differences.push(`${position.tradingsymbol} (${position.instrumentToken}) ${position.product}: none at Zerodha, ${position.quantity} here; closed outside the platform (or, CNC, moved to holdings), left alone`);
    }
  }

  // 4. Open orders nobody here follows, placed outside the platform.
  for (const order of account.orders) {
    if (OPEN_AT_KITE.has(order.status) && !isPlatformTag(order.tag)) {
      differences.push(`open order ${order.orderId} at Zerodha (${order.tradingsymbol} ${order.side} ${order.quantity} ${order.orderType}) was not placed by this engine; left to Zerodha, not followed (a fill of it is adopted at the next start)`);
    }
  }

  // The book is the day's: an order settled on an earlier day is not in it any more.
  const settled = (followed.state.settled ?? []).filter((orderId) => book.has(orderId));
  return { state: { ...followed.state, open, positions: local, settled }, reports, differences };
}

/** What a followed order did at Zerodha while the engine was not looking, if it filled or ended. */
function describeChange({ before, order, progress }: OrderChange): string | null {
  const filled = progress.filledQuantity - before.progress.filledQuantity;
  if (filled === 0 && !progress.ended) return null;
  return `${describeOrder(before)}: ${order.status} at Zerodha with ${progress.filledQuantity} filled, ${before.progress.filledQuantity} seen here; brought up to Zerodha's`;
}

/** A reconciling fill: the difference of a position, booked apart as bought or sold outside. */
function adoptionFill(originId: string, position: KitePosition, difference: number, price: number, at: string): ExecutionReport & { type: 'order_filled' } {
  const orderId = `reconciled-${originId}`;
  const side = difference > 0 ? ('BUY' as const) : ('SELL' as const);
  const quantity = Math.abs(difference);
  const { instrumentToken, tradingsymbol } = position;
  const product = position.product as 'MIS' | 'CNC';
  const identity = { orderId, strategyId: RECONCILED_STRATEGY, instrumentToken, tradingsymbol, side, product };
  const progress = { ...NO_PROGRESS, submitted: true, filledQuantity: quantity, filledTurnover: price * quantity, ended: true };
  const description = { context: identity, orderType: 'MARKET' as const, quantity, limitPrice: null, triggerPrice: null, correlationId: originId, submittedAt: at };
  return {
    type: 'order_filled',
    originId,
    data: { ...identity, fillId: `${orderId}-${quantity}`, quantity, price: paise(price), cumulativeQuantity: quantity, remainingQuantity: 0, charges: ZERO_CHARGES, filledAt: at },
    order: recordOf(description, 'COMPLETE', progress, 'reconciled: position found at Zerodha that the platform did not book'),
  };
}
