// From Kite's view of an order (an order-book row, a history entry or an order update) to the
// platform's order events. Pure: the caller keeps the progress (what was already reported) with
// the order and passes it back with the next snapshot, so every snapshot, however often it is
// delivered and even out of order, reports each fact once:
//   - order_submitted once Kite has accepted the order (it reached OPEN, TRIGGER PENDING, or
//     anything beyond); an order rejected before that reports only its rejection, like paper;
//   - order_filled for each increase of filled_quantity, with the price of that increase worked
//     out from the average price and the charges from charges.ts as its share of the order's;
//   - order_rejected / order_cancelled for what never filled, with Kite's status_message.
// Updates that arrive after the order ended, or that show fewer fills than already reported (an
// older snapshot delivered late), add nothing.
import type { OrderCancelled, OrderFilled, OrderRejected, OrderSubmitted } from '../domain/events';
import { paise, subtract, type Paise } from '../domain/money';
import { fillCharges, type Product, type Side } from '../domain/trading/charges';
import { kiteTagFor, type KiteOrder } from './kite-order-model';

/** The platform's order as placed: what the events carry besides Kite's numbers. */
export interface KiteOrderContext {
  orderId: string;
  strategyId: string;
  instrumentToken: number;
  tradingsymbol: string;
  side: Side;
  product: Product;
  parentOrderId?: string;
}

export interface KiteOrderProgress {
  submitted: boolean;
  filledQuantity: number;
  /** Price x quantity of the fills reported so far, in paise. */
  filledTurnover: number;
  ended: boolean;
}

/** The fields that name an order in every event and record of it. */
export type KiteOrderIdentity = Omit<KiteOrderContext, 'parentOrderId'>;

/**
 * The order's identity alone, which every event and the engine's order record start from. Picked,
 * not spread from the context, so that parentOrderId reaches only the events that carry it.
 */
export function identityOf(context: KiteOrderContext): KiteOrderIdentity {
  return {
    orderId: context.orderId,
    strategyId: context.strategyId,
    instrumentToken: context.instrumentToken,
    tradingsymbol: context.tradingsymbol,
    side: context.side,
    product: context.product,
  };
}

export const NO_PROGRESS: KiteOrderProgress = Object.freeze({ submitted: false, filledQuantity: 0, filledTurnover: 0, ended: false });

export type KiteOrderEvent =
  | { type: 'order_submitted'; data: OrderSubmitted }
  | { type: 'order_filled'; data: OrderFilled }
  | { type: 'order_rejected'; data: OrderRejected }
  | { type: 'order_cancelled'; data: OrderCancelled };

/** Statuses before Kite's RMS and the exchange have taken the order. */
const NOT_YET_ACCEPTED = new Set(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING']);
const ORDER_TYPES = new Set(['MARKET', 'LIMIT', 'SL', 'SL-M']);

export class KiteOrderMismatchError extends Error {
  override name = 'KiteOrderMismatchError';
}

export function kiteOrderEvents(
  context: KiteOrderContext,
  progress: KiteOrderProgress,
  order: KiteOrder,
): { progress: KiteOrderProgress; events: KiteOrderEvent[] } {
  const tag = kiteTagFor(context.orderId);
  if (order.tag !== tag) throw new KiteOrderMismatchError(`Kite order ${order.orderId} carries tag ${order.tag ?? '(none)'}, not ${tag} of order ${context.orderId}`);
  if (progress.ended) return { progress, events: [] };

  const events: KiteOrderEvent[] = [];
  const next = { ...progress };
  const at = eventTime(order);
  const identity = identityOf(context);
  const accepted = !NOT_YET_ACCEPTED.has(order.status) && order.status !== 'REJECTED';
  if (!next.submitted && (accepted || order.filledQuantity > 0)) {
    events.push({ type: 'order_submitted', data: submitted(identity, context, order) });
    next.submitted = true;
  }

  // A fill is reported only with its price: an update that shows the quantity before the average
  // price (0) waits for one that has both.
  if (order.filledQuantity > next.filledQuantity && order.filledTurnover > next.filledTurnover) {
    const quantity = order.filledQuantity - next.filledQuantity;
    const turnover = subtract(order.filledTurnover, paise(next.filledTurnover));
    events.push({
      type: 'order_filled',
      data: {
        ...identity,
        // Cumulative quantity, not a counter: the same fill gets the same id however often it is seen.
        fillId: `${context.orderId}-${order.filledQuantity}`,
        quantity,
        price: roundedPrice(turnover, quantity),
        cumulativeQuantity: order.filledQuantity,
        remainingQuantity: Math.max(0, order.quantity - order.filledQuantity),
        charges: fillCharges(context.product, context.side, paise(next.filledTurnover), turnover),
        filledAt: at,
        brokerOrderId: order.orderId,
      },
    });
    next.filledQuantity = order.filledQuantity;
    next.filledTurnover = order.filledTurnover;
  }

  const unfilled = order.quantity - next.filledQuantity;
  if (order.status === 'COMPLETE' && next.filledQuantity >= order.quantity) next.ended = true;
  if (order.status === 'REJECTED') {
    next.ended = true;
    if (unfilled > 0) events.push({ type: 'order_rejected', data: { ...identity, quantity: unfilled, reason: order.statusMessage ?? 'Rejected by Zerodha', rejectedAt: at } });
  }
  if (order.status === 'CANCELLED') {
    next.ended = true;
    if (unfilled > 0) events.push({ type: 'order_cancelled', data: { ...identity, quantity: unfilled, reason: order.statusMessage ?? 'Cancelled', cancelledAt: at } });
  }
  return { progress: next, events };
}

function submitted(identity: KiteOrderIdentity, context: KiteOrderContext, order: KiteOrder): OrderSubmitted {
  if (!ORDER_TYPES.has(order.orderType)) throw new KiteOrderMismatchError(`Kite order ${order.orderId} has order type ${order.orderType}`);
  const orderType = order.orderType as OrderSubmitted['orderType'];
  const data: OrderSubmitted = {
    ...identity,
    quantity: order.quantity,
    orderType,
    submittedAt: (order.orderTimestamp ?? order.exchangeTimestamp ?? new Date(0)).toISOString(),
  };
  if ((orderType === 'LIMIT' || orderType === 'SL') && order.price > 0) data.limitPrice = order.price;
  if ((orderType === 'SL' || orderType === 'SL-M') && order.triggerPrice > 0) data.triggerPrice = order.triggerPrice;
  if (context.parentOrderId !== undefined) data.parentOrderId = context.parentOrderId;
  return data;
}

/** When Kite says the order last changed: the exchange's update time, else the order's own. */
function eventTime(order: KiteOrder): string {
  return (order.exchangeUpdateTimestamp ?? order.exchangeTimestamp ?? order.orderTimestamp ?? new Date(0)).toISOString();
}

/**
 * The price of one increase of the filled quantity. Exact when the increase was one price (the
 * usual case); when Kite's average blends several prices it is rounded to the nearest paisa,
 * while the charges use the exact turnover.
 */
function roundedPrice(turnover: Paise, quantity: number): Paise {
  return paise(Math.max(1, Math.round(turnover / quantity)));
}
