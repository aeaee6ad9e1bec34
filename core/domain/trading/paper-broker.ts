// The paper fill model: a deterministic simulated exchange. Its state (open orders and their fill
// progress) is plain JSON; every step is a pure function of (state, input), with randomness only
// from the seeded Rng the caller passes, so the same seed and ticks give the same fills.
//
// - MARKET orders fill on the next tick of their instrument processed after submission, at its
//   last price moved by slippage against the trader, rounded to the tick size away from the
//   trader and at least one tick worse than the last price (see slippedPrice).
// - LIMIT orders wait for a tick that crosses them; SL / SL-M wait for their trigger, then act as
//   LIMIT / MARKET. A triggered stop stays triggered.
// - With a latency configured, an order (exits included) ignores the ticks stamped before its
//   submission time + latency: it has not reached the exchange yet.
// - A full-mode tick's depth on the opposite side caps each fill; the rest stays open for later
//   ticks. Orders on the same tick share the depth in submission order.
// - When an entry carrying take-profit / stop-loss prices is completely filled (or fails after a
//   partial fill), its exits are placed for the filled quantity: a LIMIT at the take-profit and an
//   SL-M at the stop-loss, one-cancels-other. Like Zerodha's OCO GTT, the first fill of either
//   leg cancels the other, reported as an order cancellation with the reason. Exits are
//   never checked against cash: closing a position must not be blocked.
// - Charges per fill come from charges.ts, as the fill's share of its order's charges.
import type { OrderCancelled, OrderFilled, OrderRejected, OrderSubmitted, SignalValidated, Tick } from '../events';
import { add, formatRupees, paise, times, type Paise } from '../money';
import { fillCharges, orderCharges } from './charges';
import {
  availableQuantity,
  consumeDepth,
  DEFAULT_PAPER_BROKER_CONFIG,
  depthOf,
  executionPrice,
  reachedExchange,
  stopTriggered,
  type PaperBrokerConfig,
} from './paper-execution';
import type { Rng } from './rng';

export { DEFAULT_PAPER_BROKER_CONFIG, type PaperBrokerConfig } from './paper-execution';

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
}

export function createPaperBroker(config: Partial<PaperBrokerConfig> = {}): PaperBrokerState {
  return { config: { ...DEFAULT_PAPER_BROKER_CONFIG, ...config }, orders: [] };
}

export interface SubmitInput {
  validated: SignalValidated;
  now: string;
  /** Chosen by the caller, deterministically (e.g. derived from the signal event id). */
  orderId: string;
  /** Cash the strategy can spend; omit to skip the cash check. */
  availableCash?: number;
  correlationId?: string;
}

export type SubmitResult =
  | { state: PaperBrokerState; outcome: 'submitted'; order: OrderSubmittedDraft }
  | { state: PaperBrokerState; outcome: 'rejected'; rejection: OrderRejectedDraft };

const identity = (o: PaperOrder) => ({
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

const rejection = (o: PaperOrder, quantity: number, reason: string, at: string): OrderRejectedDraft => ({
  ...identity(o),
  quantity,
  reason,
  rejectedAt: at,
});

const cancellation = (o: PaperOrder, quantity: number, reason: string, at: string): OrderCancelledDraft => ({
  ...identity(o),
  quantity,
  reason,
  cancelledAt: at,
});

const rupeesText = (amount: number) => `₹${formatRupees(paise(amount))}`;

function invalidReason(order: PaperOrder, tickSize: number): string | null {
  if (!Number.isSafeInteger(order.quantity) || order.quantity <= 0) return `invalid quantity ${order.quantity}`;
  const needsLimit = order.orderType === 'LIMIT' || order.orderType === 'SL';
  const needsTrigger = order.orderType === 'SL' || order.orderType === 'SL-M';
  if (needsLimit && order.limitPrice === undefined) return `${order.orderType} order without a limit price`;
  if (needsTrigger && order.triggerPrice === undefined) return `${order.orderType} order without a trigger price`;
  for (const [name, price] of [
    ['limit', order.limitPrice],
    ['trigger', order.triggerPrice],
  ] as const) {
    if (price !== undefined && price % tickSize !== 0) return `${name} price ${price} is not a multiple of the tick size ${tickSize}`;
  }
  return null;
}

/** Accepts a validated signal as an open order, or rejects it with a reason. Idempotent per orderId. */
export function submit(state: PaperBrokerState, input: SubmitInput): SubmitResult {
  const existing = state.orders.find((o) => o.orderId === input.orderId);
  if (existing) return { state, outcome: 'submitted', order: submittedData(existing) };
  const { signal, approvedQuantity, approvedPrice } = input.validated;
  const order: PaperOrder = {
    orderId: input.orderId,
    strategyId: signal.strategyId,
    instrumentToken: signal.instrumentToken,
    tradingsymbol: signal.tradingsymbol,
    side: signal.side,
    product: signal.product,
    quantity: approvedQuantity,
    orderType: signal.orderType,
    submittedAt: input.now,
    triggered: false,
    filledQuantity: 0,
    filledTurnover: 0,
    fillCount: 0,
  };
  if (signal.orderType !== 'MARKET' && signal.orderType !== 'SL-M' && signal.limitPrice !== undefined) {
    order.limitPrice = signal.limitPrice;
  }
  if ((signal.orderType === 'SL' || signal.orderType === 'SL-M') && signal.triggerPrice !== undefined) {
    order.triggerPrice = signal.triggerPrice;
  }
  if (signal.stopLossPrice !== undefined) order.stopLossPrice = signal.stopLossPrice;
  if (signal.takeProfitPrice !== undefined) order.takeProfitPrice = signal.takeProfitPrice;
  if (input.correlationId !== undefined) order.correlationId = input.correlationId;

  const invalid = invalidReason(order, state.config.tickSize);
  if (invalid) {
    // The event schema needs a positive quantity; an unusable one is named in the reason instead.
    const reported = Number.isSafeInteger(approvedQuantity) && approvedQuantity > 0 ? approvedQuantity : 1;
    return { state, outcome: 'rejected', rejection: rejection(order, reported, invalid, input.now) };
  }
  if (order.side === 'BUY' && input.availableCash !== undefined) {
    const price = paise(order.limitPrice ?? approvedPrice);
    const needed = add(times(price, order.quantity), orderCharges(order.product, 'BUY', price, order.quantity).total as Paise);
    if (needed > input.availableCash) {
      const reason = `insufficient cash: order needs ${rupeesText(needed)}, available ${rupeesText(input.availableCash)}`;
      return { state, outcome: 'rejected', rejection: rejection(order, order.quantity, reason, input.now) };
    }
  }
  return { state: { ...state, orders: [...state.orders, order] }, outcome: 'submitted', order: submittedData(order) };
}

/**
 * Cancels an open order; the cancellation carries the unfilled quantity. A partially filled entry
 * still gets its exits for the filled part. Null when the order is not open.
 */
export function cancel(
  state: PaperBrokerState,
  orderId: string,
  now: string,
  reason = 'cancelled',
): { state: PaperBrokerState; cancellation: OrderCancelledDraft; exits: OrderSubmittedDraft[] } | null {
  const order = state.orders.find((o) => o.orderId === orderId);
  if (!order) return null;
  const exits = order.parentOrderId === undefined && order.filledQuantity > 0 ? exitsFor(order, order.filledQuantity, now) : [];
  return {
    state: { ...state, orders: [...state.orders.filter((o) => o.orderId !== orderId), ...exits] },
    cancellation: cancellation(order, order.quantity - order.filledQuantity, reason, now),
    exits: exits.map(submittedData),
  };
}

export interface TickOptions {
  /** strategy id -> cash available for BUY entries; strategies absent here are not checked. */
  availableCash?: Record<string, number>;
}

export interface TickResult {
  state: PaperBrokerState;
  fills: OrderFilledDraft[];
  rejections: OrderRejectedDraft[];
  cancellations: OrderCancelledDraft[];
  exits: OrderSubmittedDraft[];
  /** orderId -> correlation id, for every order in this result that has one. */
  correlationIds: Record<string, string>;
}

function exitsFor(entry: PaperOrder, quantity: number, now: string): PaperOrder[] {
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

/** Runs one tick against the open orders of its instrument. */
export function onTick(state: PaperBrokerState, tick: Tick, now: string, rng: Rng, options: TickOptions = {}): TickResult {
  const { config } = state;
  const depth = depthOf(tick);
  const cash = { ...(options.availableCash ?? {}) };
  const fills: OrderFilledDraft[] = [];
  const rejections: OrderRejectedDraft[] = [];
  const cancellations: OrderCancelledDraft[] = [];
  const placed: PaperOrder[] = [];
  const closed = new Set<string>();
  const correlationIds: Record<string, string> = {};
  const note = (o: PaperOrder) => {
    if (o.correlationId !== undefined) correlationIds[o.orderId] = o.correlationId;
  };
  const placeExits = (entry: PaperOrder, quantity: number) => {
    const exits = exitsFor(entry, quantity, now);
    exits.forEach(note);
    placed.push(...exits);
  };

  const orders = state.orders.map((order) => {
    if (order.instrumentToken !== tick.instrumentToken || closed.has(order.orderId)) return order;
    if (!reachedExchange(order.submittedAt, now, config.latencyMs)) return order;
    const current: PaperOrder = { ...order, triggered: order.triggered || stopTriggered(order, tick.lastPrice) };
    const price = executionPrice(current, tick, config, rng);
    if (price === null) return current;
    const remaining = current.quantity - current.filledQuantity;
    const quantity = Math.min(remaining, availableQuantity(current, depth));
    if (quantity <= 0) return current;

    const turnover = times(price, quantity);
    const charges = fillCharges(current.product, current.side, paise(current.filledTurnover), turnover);
    const isEntry = current.parentOrderId === undefined;
    const strategyCash = cash[current.strategyId];
    if (current.side === 'BUY' && isEntry && strategyCash !== undefined && turnover + charges.total > strategyCash) {
      const reason = `insufficient cash: fill needs ${rupeesText(turnover + charges.total)}, available ${rupeesText(strategyCash)}`;
      rejections.push(rejection(current, remaining, reason, now));
      note(current);
      closed.add(current.orderId);
      if (current.filledQuantity > 0) placeExits(current, current.filledQuantity);
      return current;
    }
    if (strategyCash !== undefined) {
      cash[current.strategyId] = current.side === 'BUY' ? strategyCash - turnover - charges.total : strategyCash + turnover - charges.total;
    }
    consumeDepth(current, depth, quantity);

    const filled: PaperOrder = {
      ...current,
      filledQuantity: current.filledQuantity + quantity,
      filledTurnover: current.filledTurnover + turnover,
      fillCount: current.fillCount + 1,
    };
    fills.push({
      ...identity(filled),
      fillId: `${filled.orderId}-${filled.fillCount}`,
      quantity,
      price,
      cumulativeQuantity: filled.filledQuantity,
      remainingQuantity: filled.quantity - filled.filledQuantity,
      charges,
      filledAt: now,
    });
    note(filled);
    if (filled.ocoSiblingId !== undefined && !closed.has(filled.ocoSiblingId)) {
      const sibling = state.orders.find((o) => o.orderId === filled.ocoSiblingId);
      if (sibling) {
        closed.add(sibling.orderId);
        note(sibling);
        cancellations.push(cancellation(sibling, sibling.quantity - sibling.filledQuantity, `one-cancels-other: ${filled.orderId} filled`, now));
      }
    }
    if (filled.filledQuantity === filled.quantity) {
      closed.add(filled.orderId);
      if (isEntry) placeExits(filled, filled.quantity);
    }
    return filled;
  });

  const open = orders.filter((o) => !closed.has(o.orderId));
  return {
    state: { ...state, orders: [...open, ...placed] },
    fills,
    rejections,
    cancellations,
    exits: placed.map(submittedData),
    correlationIds,
  };
}
