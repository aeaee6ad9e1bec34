// The risk manager's state for one namespace, as plain JSON data with pure update functions:
// daily approved-order counts per strategy keyed by IST trading date, the last tick price per
// instrument, the kill switch, each strategy's positions and P&L as the portfolio reports them,
// and the orders it approved that have not ended yet.
//
// Pending orders: an approved signal becomes an order (its id derived from the decision, see
// core/domain/ids.ts) that may rest for a while; until it fills, is rejected or is cancelled its
// open quantity counts towards the strategy's exposure, or two orders could each pass a limit
// that both together break. Fills move quantity from pending into the position.
//
// Positions move with every fill (recordFill). A portfolio snapshot replaces a position only when
// it has booked more of that strategy-instrument's fills than this state has (fill sequences: the
// fill's offset in its partition, one strategy-instrument per partition); the fills it already
// includes are then not counted again when they arrive. Times cannot decide this: a snapshot is
// stamped with its latest event, ticks included, so it can look newer than a fill it lacks. Daily P&L is the change of net P&L (realized +
// unrealized - charges) since the start of the IST trading day; a strategy seen for the first
// time starts from zero.
import type { OrderFilled, PnlSnapshot, SignalValidated, Tick } from '../../events';
import { orderIdFor } from '../../ids';
import { toIst } from '../../market-hours';

export interface StrategyRiskView {
  /** instrument token -> signed quantity. */
  positions: Record<string, number>;
  realizedPnl: number;
  unrealizedPnl: number;
  chargesPaid: number;
  /** Net P&L when the current trading day began. */
  dayStartNetPnl: number;
  /** asOf of the last snapshot applied. */
  reportedAt: string | null;
  lastFillAt: string | null;
  /** instrument token -> sequence of the last fill counted in the position (see recordFill). */
  fillSequences?: Record<string, number>;
}

export interface KillSwitch {
  active: boolean;
  reason: string | null;
  changedAt: string | null;
}

/** An approved order that has not ended: its open quantity. */
export interface PendingOrder {
  strategyId: string;
  instrumentToken: number;
  side: 'BUY' | 'SELL';
  /** Approved quantity minus what has filled. */
  open: number;
}

export interface RiskState {
  /** IST date (YYYY-MM-DD) the daily figures belong to. */
  tradingDate: string;
  killSwitch: KillSwitch;
  /** instrument token -> last traded price (paise) and when it was seen. */
  lastTicks: Record<string, { price: number; at: string }>;
  /** IST date -> strategy id -> orders approved that day. */
  dailyTrades: Record<string, Record<string, number>>;
  strategies: Record<string, StrategyRiskView>;
  /** order id -> open quantity of the orders this risk manager approved. */
  pendingOrders: Record<string, PendingOrder>;
}

export const istTradingDate = (at: string): string => toIst(new Date(at)).date;
const instant = (at: string) => Date.parse(at);

export function createRiskState(now: string): RiskState {
  return {
    tradingDate: istTradingDate(now),
    killSwitch: { active: false, reason: null, changedAt: null },
    lastTicks: {},
    dailyTrades: {},
    strategies: {},
    pendingOrders: {},
  };
}

export const netPnl = (view: StrategyRiskView): number => view.realizedPnl + view.unrealizedPnl - view.chargesPaid;

/** P&L of the strategy since the start of the trading day (negative is a loss). */
export const dailyPnl = (view: StrategyRiskView): number => netPnl(view) - view.dayStartNetPnl;

const emptyView = (): StrategyRiskView => ({
  positions: {},
  realizedPnl: 0,
  unrealizedPnl: 0,
  chargesPaid: 0,
  dayStartNetPnl: 0,
  reportedAt: null,
  lastFillAt: null,
});

/**
 * Moves the state to the IST trading day of `now`: earlier days' trade counts are dropped and each
 * strategy's daily P&L restarts from its current net P&L. A `now` on an earlier day changes nothing.
 */
export function rollover(state: RiskState, now: string): RiskState {
  const date = istTradingDate(now);
  if (date <= state.tradingDate) return state;
  const strategies = Object.fromEntries(
    Object.entries(state.strategies).map(([id, view]) => [id, { ...view, dayStartNetPnl: netPnl(view) }]),
  );
  const dailyTrades = date in state.dailyTrades ? { [date]: state.dailyTrades[date]! } : {};
  return { ...state, tradingDate: date, dailyTrades, strategies };
}

/** Approved orders of a strategy on the IST day of `now`. */
export function tradesOn(state: RiskState, strategyId: string, now: string): number {
  return state.dailyTrades[istTradingDate(now)]?.[strategyId] ?? 0;
}

export function positionOf(state: RiskState, strategyId: string, instrumentToken: number): number {
  return state.strategies[strategyId]?.positions[String(instrumentToken)] ?? 0;
}

/** Records the last price of an instrument; `receivedAt` is used when the tick has no exchange time. */
export function recordTick(state: RiskState, tick: Tick, receivedAt: string): RiskState {
  const at = tick.exchangeTimestamp ?? receivedAt;
  const rolled = rollover(state, receivedAt);
  return { ...rolled, lastTicks: { ...rolled.lastTicks, [String(tick.instrumentToken)]: { price: tick.lastPrice, at } } };
}

/**
 * Counts an approved order towards its strategy's daily trades and holds its quantity as pending.
 * `decisionId` is the id of the signal_validated event, from which the engine derives the order id.
 */
export function recordValidated(state: RiskState, validated: SignalValidated, at: string, decisionId?: string): RiskState {
  const rolled = rollover(state, at);
  const date = istTradingDate(at);
  const day = rolled.dailyTrades[date] ?? {};
  const { strategyId, instrumentToken, side } = validated.signal;
  const pendingOrders =
    decisionId === undefined
      ? rolled.pendingOrders
      : { ...rolled.pendingOrders, [orderIdFor(decisionId)]: { strategyId, instrumentToken, side, open: validated.approvedQuantity } };
  return {
    ...rolled,
    dailyTrades: { ...rolled.dailyTrades, [date]: { ...day, [strategyId]: (day[strategyId] ?? 0) + 1 } },
    pendingOrders,
  };
}

/** An order that was rejected or cancelled: its open quantity will never fill. */
export function recordOrderEnded(state: RiskState, orderId: string): RiskState {
  if (!(orderId in state.pendingOrders)) return state;
  const { [orderId]: _ended, ...pendingOrders } = state.pendingOrders;
  return { ...state, pendingOrders };
}

/** Open quantity of the strategy's pending orders in an instrument, per side (both positive). */
export function pendingOf(state: RiskState, strategyId: string, instrumentToken: number): { buy: number; sell: number } {
  const pending = { buy: 0, sell: 0 };
  for (const order of Object.values(state.pendingOrders)) {
    if (order.strategyId !== strategyId || order.instrumentToken !== instrumentToken) continue;
    if (order.side === 'BUY') pending.buy += order.open;
    else pending.sell += order.open;
  }
  return pending;
}

/**
 * Counts a fill into the position and out of its order's pending quantity. `sequence` is the
 * fill's place in its strategy-instrument's log; a fill at or below the sequence of a snapshot
 * already taken is in the position already.
 */
export function recordFill(state: RiskState, fill: OrderFilled, sequence?: number): RiskState {
  const rolled = rollover(state, fill.filledAt);
  const view = rolled.strategies[fill.strategyId] ?? emptyView();
  const key = String(fill.instrumentToken);
  const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
  const lastFillAt =
    view.lastFillAt === null || instant(fill.filledAt) > instant(view.lastFillAt) ? fill.filledAt : view.lastFillAt;
  const counted = view.fillSequences?.[key];
  const included = sequence !== undefined && counted !== undefined && sequence <= counted;
  const updated: StrategyRiskView = {
    ...view,
    positions: included ? view.positions : { ...view.positions, [key]: (view.positions[key] ?? 0) + signed },
    lastFillAt,
    fillSequences: sequence === undefined || included ? view.fillSequences : { ...view.fillSequences, [key]: sequence },
  };
  return { ...rolled, strategies: { ...rolled.strategies, [fill.strategyId]: updated }, pendingOrders: afterFill(rolled.pendingOrders, fill) };
}

function afterFill(pendingOrders: Record<string, PendingOrder>, fill: OrderFilled): Record<string, PendingOrder> {
  const pending = pendingOrders[fill.orderId];
  if (!pending) return pendingOrders; // an exit or an order placed before this state existed
  const { [fill.orderId]: _filled, ...rest } = pendingOrders;
  const open = Math.min(pending.open - fill.quantity, fill.remainingQuantity);
  return open > 0 ? { ...rest, [fill.orderId]: { ...pending, open } } : rest;
}

/**
 * Takes the portfolio's view of a strategy: its P&L if the snapshot is newer than the last one
 * applied, and each position whose fill sequence is ahead of the one this state counted.
 */
export function recordPnlSnapshot(state: RiskState, snapshot: PnlSnapshot): RiskState {
  const rolled = rollover(state, snapshot.asOf);
  const view = rolled.strategies[snapshot.strategyId] ?? emptyView();
  if (view.reportedAt !== null && instant(snapshot.asOf) < instant(view.reportedAt)) return rolled;
  const positions = { ...view.positions };
  const fillSequences = { ...view.fillSequences };
  for (const position of snapshot.positions) {
    const key = String(position.instrumentToken);
    const counted = fillSequences[key];
    if (position.fillSequence === undefined || (counted !== undefined && position.fillSequence <= counted)) continue;
    positions[key] = position.quantity;
    fillSequences[key] = position.fillSequence;
  }
  const updated: StrategyRiskView = {
    ...view,
    positions,
    fillSequences,
    realizedPnl: snapshot.realizedPnl,
    unrealizedPnl: snapshot.unrealizedPnl,
    chargesPaid: snapshot.chargesPaid,
    reportedAt: snapshot.asOf,
  };
  return { ...rolled, strategies: { ...rolled.strategies, [snapshot.strategyId]: updated } };
}

export function setKillSwitch(state: RiskState, active: boolean, reason: string | null, at: string): RiskState {
  return { ...state, killSwitch: { active, reason: active ? reason : null, changedAt: at } };
}

/** A strategy's view, or an empty one if the portfolio has not reported it yet. */
export const strategyView = (state: RiskState, strategyId: string): StrategyRiskView =>
  state.strategies[strategyId] ?? emptyView();
