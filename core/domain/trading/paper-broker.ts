// The paper fill model: a deterministic simulated exchange. Its state (open orders and their fill
// progress, and the positions its fills built) is plain JSON; every step is a pure function of
// (state, input), with randomness only from the seeded Rng the caller passes, so the same seed and
// ticks give the same fills.
//
// - Without latency (the default), a MARKET entry (an order from a validated signal) fills
//   completely at submission, at its signal's reference price (the last price of the tick the
//   strategy saw) moved by slippage against the trader, rounded to the tick size away from the
//   trader and at least one tick worse than that price (see slippedPrice); `filledAt` is the
//   submission time. This is simulation in event time: filling it on the next tick processed
//   would make its price depend on how fast the pipeline went (a stall, a crash, load), while
//   this fill is a function of the feed and the configuration alone. It runs through the same
//   steps as a tick's fills (paper-tick.ts runOrder): charges, the margin check at the fill, the
//   kill switch, positions, the exit cuts and its own exits. The signal carries no order book,
//   so this fill has no depth cap. Its slippage jitter comes from a generator seeded for this
//   order alone (SubmitInput.rng), not from the instrument's, whose draws interleave with ticks
//   in an order that depends on timing. (A CNC one submitted after the close expires at
//   submission instead, as a tick would expire it.)
// - Other market executions (MARKET orders under a latency, triggered SL-M, square-offs) fill on
//   the first tick of their instrument processed while they are live, at its last price slipped
//   the same way. Resting orders still depend on which ticks were processed while they rested.
// - LIMIT orders wait for a tick that crosses them; SL / SL-M wait for their trigger, then act as
//   LIMIT / MARKET. A triggered stop stays triggered.
// - An order (exits included) ignores the ticks stamped before its submission time, so one that
//   reaches the engine late (a backlog, ticks taken in batches) does not fill it at a price from
//   before it existed; with a latency configured, before submission time + latency (MARKET
//   entries too): it has not reached the exchange yet.
// - A full-mode tick's depth on the opposite side caps each fill; the rest stays open for later
//   ticks. Orders on the same tick share the depth in submission order.
// - Positions per strategy, instrument and product come from the broker's own fills
//   (paper-positions.ts), and so do the margin rules: an entry's part that adds exposure needs
//   margin (MIS: value / leverage; CNC: the value) at submission and again at each fill; a CNC
//   sell beyond the CNC holding is refused (no CNC short selling).
// - When an entry carrying take-profit / stop-loss prices ends with something filled (completely,
//   or rejected, cancelled or expired after a partial fill), its exits are placed at the end of
//   that tick (or at submission, for a MARKET entry filled then) for the filled quantity, capped
//   at the position left: a LIMIT at the take-profit and an SL-M at the stop-loss,
//   one-cancels-other. Later ticks evaluate them.
// - Exits (and square-off orders) are reduce-only and never checked against cash: closing a
//   position must not be blocked. After every fill, each of them is cut down to what it can
//   still close of its position, so it never opens or flips one:
//     - a fill of one leg shrinks the other leg to what the filled leg still has open (the pair
//       protects the same shares); when the leg is complete the other is cancelled, like
//       Zerodha's OCO GTT;
//     - any fill that reduced the position (the strategy's own opposite entry, another exit)
//       cuts every exit of that position to the position left, and cancels it once it is flat.
//   A cut is reported as an order cancellation of the excess while the order stays open with the
//   smaller quantity (there is no modification event in the catalogue; this is what a modify
//   down amounts to); a cancellation that ends the order carries all its unfilled quantity.
// - While the kill switch is on (`halted`), entries are reduce-only too: a resting entry is cut to
//   what it would close of its position, and cancelled if that is nothing; exits still fill.
// - The trading day (paper-session.ts): entries are day orders, cancelled at the close
//   ("expired at market close"); at the auto square-off time open MIS entries and exits are
//   cancelled and each open MIS position gets a MARKET order closing it, with an id derived from
//   strategy, instrument and date, filled from the next tick of its instrument like a resting order.
//   Both happen on the first tick (of any instrument) at or after that time.
// - Charges per fill come from charges.ts, as the fill's share of its order's charges.
import type { SignalValidated } from '../events';
import { paise } from '../money';
import { orderCharges } from './charges';
import { DEFAULT_PAPER_BROKER_CONFIG, type PaperBrokerConfig } from './paper-execution';
import {
  cancellation,
  exitsFor,
  isReduceOnly,
  positionKeyOf,
  rejection,
  submittedData,
  type OrderCancelledDraft,
  type OrderRejectedDraft,
  type OrderSubmittedDraft,
  type PaperBrokerState,
  type PaperEvent,
  type PaperOrder,
} from './paper-orders';
import { addedQuantity, holdingsReason, marginFor, reducible, rupeesText } from './paper-positions';
import { squareOffMs, squareOffText, tradingDate } from './paper-session';
import { runOrder } from './paper-tick';
import type { Rng } from './rng';

export { DEFAULT_PAPER_BROKER_CONFIG, type PaperBrokerConfig } from './paper-execution';
export * from './paper-orders';
export { nextSessionDeadline, onTick, runOrder, type Quote, type TickOptions, type TickResult } from './paper-tick';

export function createPaperBroker(config: Partial<PaperBrokerConfig> = {}): PaperBrokerState {
  return { config: { ...DEFAULT_PAPER_BROKER_CONFIG, ...config }, orders: [], positions: {} };
}

export interface SubmitInput {
  validated: SignalValidated;
  now: string;
  /** Chosen by the caller, deterministically (e.g. derived from the signal event id). */
  orderId: string;
  /** Cash the strategy can put into new exposure (free cash less reservations); omit to skip the check. */
  availableCash?: number;
  /**
   * The strategy's free cash before reservations: what a fill at submission is checked against,
   * as a tick's fills are (TickOptions.availableCash). Omit to skip that check.
   */
  freeCash?: number;
  /**
   * The generator of a fill at submission (its slippage jitter). Seed it for this order alone
   * (e.g. from the seed and the order id), never share the one ticks draw from: the same order
   * must draw the same whatever ticks came before it.
   */
  rng: Rng;
  correlationId?: string;
  /** Set while the kill switch is on, to the reason given: only orders that reduce a position pass. */
  halted?: string;
}

export type SubmitResult =
  | {
      state: PaperBrokerState;
      outcome: 'submitted';
      order: OrderSubmittedDraft;
      /** The part of the order that adds exposure: what the account reserves margin for. */
      addedQuantity: number;
      /**
       * What happened, in order, with each order as it stood after it: the order_submitted, then
       * for a MARKET entry filled at once its order_filled (or order_rejected) and its exits.
       */
      events: PaperEvent[];
    }
  | { state: PaperBrokerState; outcome: 'rejected'; rejection: OrderRejectedDraft };

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

/**
 * Accepts a validated signal as an order, or rejects it with a reason. A MARKET entry without
 * latency is filled at once (fillsAtSubmission); other orders stay open for the ticks.
 * Idempotent per orderId while the order is open.
 */
export function submit(state: PaperBrokerState, input: SubmitInput): SubmitResult {
  const existing = state.orders.find((o) => o.orderId === input.orderId);
  if (existing) {
    const events: PaperEvent[] = [{ type: 'order_submitted', data: submittedData(existing), order: { ...existing } }];
    return { state, outcome: 'submitted', order: submittedData(existing), addedQuantity: 0, events };
  }
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
  const refuse = (reason: string): SubmitResult => ({ state, outcome: 'rejected', rejection: rejection(order, order.quantity, reason, input.now) });
  const date = tradingDate(input.now);
  if (order.product === 'MIS' && Date.parse(input.now) >= squareOffMs(date)) {
    return refuse(`auto square-off: MIS orders are not accepted after ${squareOffText(date)}`);
  }
  const position = state.positions[positionKeyOf(order)];
  const added = addedQuantity(position, order.side, order.quantity);
  if (added > 0 && input.halted !== undefined) return refuse(input.halted);
  if (added > 0 && order.product === 'CNC' && order.side === 'SELL') return refuse(holdingsReason(order.quantity, reducible(position, 'SELL')));
  if (added > 0 && input.availableCash !== undefined) {
    const price = order.limitPrice ?? approvedPrice;
    const needed = marginFor(order.product, price * added, state.config.misLeverage) + orderCharges(order.product, order.side, paise(price), order.quantity).total;
    if (needed > input.availableCash) {
      const kind = order.product === 'MIS' ? 'margin' : 'cash';
      return refuse(`insufficient ${kind}: order needs ${rupeesText(needed)}, available ${rupeesText(input.availableCash)}`);
    }
  }
  const accepted: PaperBrokerState = { ...state, orders: [...state.orders, order] };
  const submitted: PaperEvent = { type: 'order_submitted', data: submittedData(order), order: { ...order } };
  const result = { outcome: 'submitted', order: submittedData(order), addedQuantity: added } as const;
  if (!fillsAtSubmission(state.config, order)) return { ...result, state: accepted, events: [submitted] };
  // The signal's price, without a book: the fill is not capped by depth (see the header).
  const quote = { instrumentToken: order.instrumentToken, lastPrice: signal.referencePrice };
  const run = runOrder(accepted, order.orderId, quote, input.now, input.rng, {
    ...(input.freeCash !== undefined ? { availableCash: { [order.strategyId]: input.freeCash } } : {}),
    ...(input.halted !== undefined ? { halted: input.halted } : {}),
  });
  return { ...result, state: run.state, events: [submitted, ...run.events] };
}

/**
 * Whether an accepted order fills at once, at its signal's price: a MARKET entry without
 * latency. With a latency it waits for a tick at or after submission + latency, as other orders do.
 */
export const fillsAtSubmission = (config: PaperBrokerConfig, order: PaperOrder) =>
  config.latencyMs <= 0 && order.orderType === 'MARKET' && !isReduceOnly(order);

/**
 * Cancels an open order; the cancellation carries the unfilled quantity. A partially filled entry
 * still gets its exits for the filled part (capped at the position left). Null when not open.
 */
export function cancel(
  state: PaperBrokerState,
  orderId: string,
  now: string,
  reason = 'cancelled',
): { state: PaperBrokerState; cancellation: OrderCancelledDraft; exits: OrderSubmittedDraft[] } | null {
  const order = state.orders.find((o) => o.orderId === orderId);
  if (!order) return null;
  const exitSide = order.side === 'BUY' ? 'SELL' : 'BUY';
  const exitQuantity = Math.min(order.filledQuantity, reducible(state.positions[positionKeyOf(order)], exitSide));
  const exits = order.parentOrderId === undefined && exitQuantity > 0 ? exitsFor(order, exitQuantity, now) : [];
  return {
    state: { ...state, orders: [...state.orders.filter((o) => o.orderId !== orderId), ...exits] },
    cancellation: cancellation(order, order.quantity - order.filledQuantity, reason, now),
    exits: exits.map(submittedData),
  };
}
