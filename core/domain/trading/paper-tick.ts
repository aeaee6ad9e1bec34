// One quote through the paper broker (the rules are in paper-broker.ts's header). On a tick: the
// trading day's deadlines first, then the tick's instrument's orders in submission order, then
// the exits of the entries that ended. For one named order (a MARKET entry filled at submission,
// at its signal's price): that order alone, by the very same steps, so a fill at submission and a
// fill on a tick cannot drift apart. Works on copies: the state it was given is never changed.
import type { Tick } from '../events';
import { paise, times } from '../money';
import { fillCharges } from './charges';
import { availableQuantity, consumeDepth, depthOf, executionPrice, reachedExchange, stopTriggered, type Book } from './paper-execution';
import {
  cancellation,
  exitsFor,
  identity,
  isReduceOnly,
  positionKeyOf,
  rejection,
  submittedData,
  type OrderCancelledDraft,
  type OrderFilledDraft,
  type OrderRejectedDraft,
  type OrderSubmittedDraft,
  type PaperBrokerState,
  type PaperEvent,
  type PaperOrder,
} from './paper-orders';
import {
  addedQuantity,
  freeCashChange,
  holdingsReason,
  marginFor,
  positionAfter,
  reducible,
  rupeesText,
  type PaperPosition,
} from './paper-positions';
import { closeMs, squareOffMs, squareOffOrderId, squareOffText, tradingDate } from './paper-session';
import type { Rng } from './rng';

export interface TickOptions {
  /** strategy id -> free cash for new exposure (paper-positions.ts); strategies absent are not checked. */
  availableCash?: Record<string, number>;
  /** Set while the kill switch is on, to the reason given: entries may only reduce positions. */
  halted?: string;
}

/** What orders execute against: a tick, or the reference price of the signal of an order submitted now. */
export interface Quote {
  instrumentToken: number;
  lastPrice: number;
  /** The order book, which caps fill sizes (paper-execution.ts depthOf); absent: no cap. */
  depth?: Book;
}

export interface TickResult {
  state: PaperBrokerState;
  /** Everything below, in the order it happened, with each order as it stood after it. */
  events: PaperEvent[];
  fills: OrderFilledDraft[];
  rejections: OrderRejectedDraft[];
  cancellations: OrderCancelledDraft[];
  /** Orders the broker placed itself: exits and square-offs. */
  exits: OrderSubmittedDraft[];
  /** orderId -> correlation id, for every order in this result that has one. */
  correlationIds: Record<string, string>;
}

/** When an entry stops being good: MIS at the auto square-off, the rest at the close. */
const entryDeadline = (o: PaperOrder) => {
  const date = tradingDate(o.submittedAt);
  return o.product === 'MIS' ? squareOffMs(date) : closeMs(date);
};

const squareOffIdOf = (p: PaperPosition) => squareOffOrderId(p.strategyId, p.instrumentToken, tradingDate(p.openedAt));

const deadlines = new WeakMap<PaperOrder[], number>();

/**
 * The earliest event time (epoch ms) at which the trading day changes something: an entry
 * expires, or an MIS position without a working square-off order is due for one. A tick of any
 * instrument at or after it must go through onTick. Memoised per orders array (never mutated).
 */
export function nextSessionDeadline(state: Pick<PaperBrokerState, 'orders' | 'positions'>): number {
  const cached = deadlines.get(state.orders);
  if (cached !== undefined) return cached;
  let next = Number.POSITIVE_INFINITY;
  for (const order of state.orders) if (!isReduceOnly(order)) next = Math.min(next, entryDeadline(order));
  const working = new Set(state.orders.filter((o) => o.squareOff).map((o) => o.orderId));
  for (const position of Object.values(state.positions)) {
    if (position.product === 'MIS' && !working.has(squareOffIdOf(position))) {
      next = Math.min(next, squareOffMs(tradingDate(position.openedAt)));
    }
  }
  deadlines.set(state.orders, next);
  return next;
}

const opposite = (side: 'BUY' | 'SELL') => (side === 'BUY' ? 'SELL' : 'BUY');

/** Runs one tick: the day's deadlines for every order, then the open orders of its instrument. */
export function onTick(state: PaperBrokerState, tick: Tick, now: string, rng: Rng, options: TickOptions = {}): TickResult {
  // Only a full-mode tick's depth is a book that caps fills.
  const depth = tick.mode === 'full' ? tick.depth : undefined;
  return execute(state, { instrumentToken: tick.instrumentToken, lastPrice: tick.lastPrice, depth }, now, rng, options);
}

/**
 * Runs one open order alone against a quote at `now`, as onTick would run it, and everything its
 * fill sets off (the exits it cuts, the entry's own exits). The trading day is the ticks' business
 * and is not applied, except to this order: an entry past its deadline is cancelled as a tick
 * would cancel it (a CNC entry submitted after the close expires, it does not fill).
 */
export function runOrder(state: PaperBrokerState, orderId: string, quote: Quote, now: string, rng: Rng, options: TickOptions = {}): TickResult {
  return execute(state, quote, now, rng, options, orderId);
}

/** onTick, or runOrder when `only` names an order. */
function execute(state: PaperBrokerState, quote: Quote, now: string, rng: Rng, options: TickOptions, only?: string): TickResult {
  const { config } = state;
  const at = Date.parse(now);
  const depth = depthOf(quote.depth);
  const inScope = (o: PaperOrder) => only === undefined || o.orderId === only;
  const cash = { ...(options.availableCash ?? {}) };
  const orders = state.orders.map((o) => ({ ...o })); // working copies
  const byId = new Map(orders.map((o) => [o.orderId, o]));
  const positions = { ...state.positions };
  const events: PaperEvent[] = [];
  const closed = new Set<string>();
  const ended: PaperOrder[] = [];
  const placed: PaperOrder[] = [];
  const isOpen = (o: PaperOrder) => !closed.has(o.orderId);
  const reduceOnlyOf = (key: string) => orders.filter((o) => isOpen(o) && isReduceOnly(o) && positionKeyOf(o) === key);

  /** Keeps at most `keep` of the order's unfilled quantity; the rest is cancelled. */
  const cut = (order: PaperOrder, keep: number, reason: string) => {
    const open = order.quantity - order.filledQuantity;
    if (keep >= open) return;
    const final = keep <= 0;
    if (final) closed.add(order.orderId);
    else order.quantity = order.filledQuantity + keep;
    events.push({ type: 'order_cancelled', data: cancellation(order, open - Math.max(0, keep), reason, now), order: { ...order }, final });
    if (final && !isReduceOnly(order)) ended.push(order);
  };

  // The trading day, for every instrument: expiries, then square-offs (for a named order, its expiry only).
  if (at >= nextSessionDeadline(state)) {
    for (const order of orders) {
      if (!inScope(order) || !isOpen(order) || isReduceOnly(order) || at < entryDeadline(order)) continue;
      const date = tradingDate(order.submittedAt);
      cut(order, 0, order.product === 'MIS' ? `auto square-off at ${squareOffText(date)}: open MIS orders cancelled` : 'expired at market close');
    }
    for (const [key, position] of only === undefined ? Object.entries(positions) : []) {
      const date = tradingDate(position.openedAt);
      if (position.product !== 'MIS' || at < squareOffMs(date)) continue;
      const orderId = squareOffIdOf(position);
      const working = byId.get(orderId);
      if (working && isOpen(working)) continue;
      for (const exit of reduceOnlyOf(key)) cut(exit, 0, `auto square-off at ${squareOffText(date)}: position closed at market`);
      const order: PaperOrder = {
        orderId,
        strategyId: position.strategyId,
        instrumentToken: position.instrumentToken,
        tradingsymbol: position.tradingsymbol,
        side: position.quantity > 0 ? 'SELL' : 'BUY',
        product: 'MIS',
        quantity: Math.abs(position.quantity),
        orderType: 'MARKET',
        submittedAt: now,
        correlationId: orderId,
        squareOff: true,
        triggered: false,
        filledQuantity: 0,
        filledTurnover: 0,
        fillCount: 0,
      };
      placed.push(order);
      events.push({ type: 'order_submitted', data: submittedData(order), order: { ...order } });
    }
  }

  /** After a fill changed a position: the filled leg's sibling, then every exit, cut to what it may close. */
  const afterFill = (order: PaperOrder, quantity: number, key: string) => {
    const sibling = order.ocoSiblingId === undefined ? undefined : byId.get(order.ocoSiblingId);
    if (sibling && isOpen(sibling)) {
      const left = order.quantity - order.filledQuantity;
      cut(sibling, left, left === 0 ? `one-cancels-other: ${order.orderId} filled` : `one-cancels-other: ${order.orderId} filled ${quantity}, ${left} left open`);
    }
    for (const exit of reduceOnlyOf(key)) {
      const cap = reducible(positions[key], exit.side);
      cut(exit, cap, cap === 0 ? `position closed: ${order.orderId} filled` : `position reduced to ${cap} by ${order.orderId}`);
    }
  };

  for (const order of orders) {
    if (order.instrumentToken !== quote.instrumentToken || !isOpen(order) || !inScope(order)) continue;
    const reduceOnly = isReduceOnly(order);
    const key = positionKeyOf(order);
    if (options.halted !== undefined && !reduceOnly) {
      cut(order, reducible(positions[key], order.side), options.halted);
      if (!isOpen(order)) continue;
    }
    if (!reachedExchange(order.submittedAt, now, config.latencyMs)) continue;
    order.triggered = order.triggered || stopTriggered(order, quote.lastPrice);
    const price = executionPrice(order, quote.lastPrice, config, rng);
    if (price === null) continue;
    const before = positions[key];
    const remaining = order.quantity - order.filledQuantity;
    let quantity = Math.min(remaining, availableQuantity(order, depth));
    if (reduceOnly) quantity = Math.min(quantity, reducible(before, order.side));
    if (quantity <= 0) continue;

    const turnover = times(price, quantity);
    const charges = fillCharges(order.product, order.side, paise(order.filledTurnover), turnover);
    const added = reduceOnly ? 0 : addedQuantity(before, order.side, quantity);
    if (added > 0) {
      const strategyCash = cash[order.strategyId];
      const needed = marginFor(order.product, price * added, config.misLeverage) + charges.total;
      let reason: string | null = null;
      if (order.product === 'CNC' && order.side === 'SELL') reason = holdingsReason(quantity, reducible(before, 'SELL'));
      else if (strategyCash !== undefined && needed > strategyCash) {
        reason = `insufficient ${order.product === 'MIS' ? 'margin' : 'cash'}: fill needs ${rupeesText(needed)}, available ${rupeesText(strategyCash)}`;
      }
      if (reason !== null) {
        closed.add(order.orderId);
        events.push({ type: 'order_rejected', data: rejection(order, remaining, reason, now), order: { ...order } });
        ended.push(order);
        continue;
      }
    }
    consumeDepth(order, depth, quantity);
    const after = positionAfter(before, { ...identity(order), quantity, price }, now);
    if (after) positions[key] = after;
    else delete positions[key];
    if (cash[order.strategyId] !== undefined) {
      cash[order.strategyId]! += freeCashChange(before, after, order.side, turnover, charges.total, config.misLeverage);
    }
    order.filledQuantity += quantity;
    order.filledTurnover += turnover;
    order.fillCount += 1;
    const fill: OrderFilledDraft = {
      ...identity(order),
      fillId: `${order.orderId}-${order.fillCount}`,
      quantity,
      price,
      cumulativeQuantity: order.filledQuantity,
      remainingQuantity: order.quantity - order.filledQuantity,
      charges,
      filledAt: now,
    };
    events.push({ type: 'order_filled', data: fill, order: { ...order } });
    if (order.filledQuantity === order.quantity) {
      closed.add(order.orderId);
      if (!reduceOnly) ended.push(order);
    }
    afterFill(order, quantity, key);
  }

  // Exits of the entries that ended with something filled, for what is left of their position.
  const misClosed = at >= squareOffMs(tradingDate(now));
  for (const entry of ended) {
    const key = positionKeyOf(entry);
    const quantity = Math.min(entry.filledQuantity, reducible(positions[key], opposite(entry.side)));
    if (quantity <= 0 || (entry.product === 'MIS' && misClosed)) continue;
    for (const exit of exitsFor(entry, quantity, now)) {
      placed.push(exit);
      events.push({ type: 'order_submitted', data: submittedData(exit), order: { ...exit } });
    }
  }

  const correlationIds: Record<string, string> = {};
  for (const { order } of events) if (order.correlationId !== undefined) correlationIds[order.orderId] = order.correlationId;
  const ofType = <T extends PaperEvent['type']>(type: T) =>
    events.filter((e): e is Extract<PaperEvent, { type: T }> => e.type === type).map((e) => e.data as Extract<PaperEvent, { type: T }>['data']);
  return {
    state: { ...state, orders: [...orders.filter(isOpen), ...placed], positions },
    events,
    fills: ofType('order_filled'),
    rejections: ofType('order_rejected'),
    cancellations: ofType('order_cancelled'),
    exits: ofType('order_submitted'),
    correlationIds,
  };
}
