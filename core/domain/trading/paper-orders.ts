// The paper broker's orders: their bookkeeping, the event data they report and the exits an
// entry places. Shared by submission (paper-broker.ts) and the tick loop (paper-tick.ts).
import type { OrderCancelled, OrderFilled, OrderRejected, OrderSubmitted } from '../events';
import type { PaperBrokerConfig } from './paper-execution';
import { positionKey, type PositionBook } from './paper-positions';

export type OrderSubmittedDraft = OrderSubmitted;
export type OrderFilledDraft = OrderFilled;
export type OrderRejectedDraft = OrderRejected;
export type OrderCancelledDraft = OrderCancelled;

export interface PaperOrder extends OrderSubmitted {
  stopLossPrice?: number;
  takeProfitPrice?: number;
  /** The other leg of a one-cancels-other exit pair. */
  ocoSiblingId?: string;
  /** Correlation id of the trade this order belongs to, carried to its fills and exits. */
  correlationId?: string;
  /** The MARKET order squaring off an MIS position at the auto square-off time. */
  squareOff?: true;
  triggered: boolean;
  filledQuantity: number;
  /** Sum of price x quantity of the fills so far, in paise. */
  filledTurnover: number;
  fillCount: number;
}

export interface PaperBrokerState {
  config: PaperBrokerConfig;
  /** Open orders in submission order. */
  orders: PaperOrder[];
  /** Open positions built by this broker's fills (paper-positions.ts). */
  positions: PositionBook;
}

/**
 * What happened to an order, in the order it happened, with the order as it stands after it.
 * A cancellation that is not `final` cut the order down: it stays open with a smaller quantity.
 */
export type PaperEvent =
  | { type: 'order_submitted'; data: OrderSubmittedDraft; order: PaperOrder }
  | { type: 'order_filled'; data: OrderFilledDraft; order: PaperOrder }
  | { type: 'order_rejected'; data: OrderRejectedDraft; order: PaperOrder }
  | { type: 'order_cancelled'; data: OrderCancelledDraft; order: PaperOrder; final: boolean };

/** Exits and square-off orders only ever close a position. */
export const isReduceOnly = (o: PaperOrder) => o.parentOrderId !== undefined || o.squareOff === true;

export const positionKeyOf = (o: Pick<PaperOrder, 'strategyId' | 'instrumentToken' | 'product'>) =>
  positionKey(o.strategyId, o.instrumentToken, o.product);

export const identity = (o: PaperOrder) => ({
  orderId: o.orderId,
  strategyId: o.strategyId,
  instrumentToken: o.instrumentToken,
  tradingsymbol: o.tradingsymbol,
  side: o.side,
  product: o.product,
});

/** The OrderSubmitted data of an order (without the simulator's bookkeeping). */
export function submittedData(o: PaperOrder): OrderSubmittedDraft {
  const data: OrderSubmittedDraft = { ...identity(o), quantity: o.quantity, orderType: o.orderType, submittedAt: o.submittedAt };
  if (o.limitPrice !== undefined) data.limitPrice = o.limitPrice;
  if (o.triggerPrice !== undefined) data.triggerPrice = o.triggerPrice;
  if (o.parentOrderId !== undefined) data.parentOrderId = o.parentOrderId;
  return data;
}

export const rejection = (o: PaperOrder, quantity: number, reason: string, at: string): OrderRejectedDraft => ({
  ...identity(o),
  quantity,
  reason,
  rejectedAt: at,
});

export const cancellation = (o: PaperOrder, quantity: number, reason: string, at: string): OrderCancelledDraft => ({
  ...identity(o),
  quantity,
  reason,
  cancelledAt: at,
});

/** The take-profit and stop-loss exits of an entry, for `quantity` shares. */
export function exitsFor(entry: PaperOrder, quantity: number, now: string): PaperOrder[] {
  const side = entry.side === 'BUY' ? 'SELL' : 'BUY';
  const base = {
    strategyId: entry.strategyId,
    instrumentToken: entry.instrumentToken,
    tradingsymbol: entry.tradingsymbol,
    side,
    product: entry.product,
    quantity,
    parentOrderId: entry.orderId,
    submittedAt: now,
    triggered: false,
    filledQuantity: 0,
    filledTurnover: 0,
    fillCount: 0,
    ...(entry.correlationId !== undefined ? { correlationId: entry.correlationId } : {}),
  } as const;
  const exits: PaperOrder[] = [];
  const takeProfitId = `${entry.orderId}-tp`;
  const stopLossId = `${entry.orderId}-sl`;
  const both = entry.takeProfitPrice !== undefined && entry.stopLossPrice !== undefined;
  if (entry.takeProfitPrice !== undefined) {
    exits.push({ ...base, orderId: takeProfitId, orderType: 'LIMIT', limitPrice: entry.takeProfitPrice, ...(both ? { ocoSiblingId: stopLossId } : {}) });
  }
  if (entry.stopLossPrice !== undefined) {
    exits.push({ ...base, orderId: stopLossId, orderType: 'SL-M', triggerPrice: entry.stopLossPrice, ...(both ? { ocoSiblingId: takeProfitId } : {}) });
  }
  return exits;
}
