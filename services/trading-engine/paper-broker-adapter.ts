// The paper broker behind the engine's broker port: the simulated exchange of
// core/domain/trading/paper-broker.ts plus the account around it.
//
// Cash: the adapter keeps its own cash ledger per strategy (starting cash, minus what BUY fills
// cost, plus what SELL fills brought, charges taken out of every fill). That is the same
// arithmetic over the same fills as the portfolio manager's cash, but it is part of this state,
// so the cash check is exact at the moment of submission and a replay decides it the same way;
// reading the portfolio's Redis state instead would lag behind fills still in flight and depend
// on the portfolio manager's timing. A BUY entry needs its value and charges out of the cash not
// already reserved by the strategy's open BUY entries (at their limit, or approved, price); a
// fill is checked again against the cash actually left.
//
// Randomness: one seeded generator per instrument (seeded from PAPER__SEED and the token), its
// state persisted with the orders. An instrument's ticks arrive in order on one partition, so
// the draws do not depend on how partitions and the two input topics interleave.
import type { SignalValidated, Tick } from '../../core/domain/events';
import { orderCharges } from '../../core/domain/trading/charges';
import {
  DEFAULT_PAPER_BROKER_CONFIG,
  onTick,
  submit,
  type OrderRejectedDraft,
  type PaperBrokerConfig,
  type PaperBrokerState,
  type PaperOrder,
} from '../../core/domain/trading/paper-broker';
import { mulberry32 } from '../../core/domain/trading/rng';
import { paise } from '../../core/domain/money';
import type { BrokerAdapter, BrokerStep, ExecutionReport, OrderRecord, OrderRequest, OrderStatus } from './broker';

export const PAPER_STATE_VERSION = 1;

export interface PaperAccountState {
  version: typeof PAPER_STATE_VERSION;
  /** Open orders in submission order. */
  orders: PaperOrder[];
  /** strategy id -> cash in paise; a strategy not listed still has its starting cash. */
  cash: Record<string, number>;
  /** Open BUY entry id -> price (paise) its unfilled quantity is reserved at. */
  reservePrices: Record<string, number>;
  /** Instrument token -> state of its generator; absent until its first draw. */
  rng: Record<string, number>;
}

export interface PaperSettings {
  startingCash: number;
  slippageBps: number;
  slippageJitterBps: number;
  latencyMs: number;
  seed: number;
  /** Price step of fills, in paise (NSE equity: 5). */
  tickSize?: number;
}

/** The settings of the paper broker in the configuration (PAPER__*). */
export function paperSettings(paper: {
  startingCashPaise: number;
  slippageBps: number;
  slippageJitterBps: number;
  latencyMs: number;
  seed: number;
}): PaperSettings {
  return { startingCash: paper.startingCashPaise, ...paper };
}

/** murmur3's 32-bit finaliser: spreads nearby inputs (seeds, tokens) over the whole range. */
function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export const instrumentSeed = (seed: number, instrumentToken: number) => mix32(seed ^ mix32(instrumentToken));

/** Exits share the id family of their entry. */
const originOf = (order: PaperOrder) => order.parentOrderId ?? order.orderId;

function record(order: PaperOrder, status: OrderStatus, failureReason: string | null = null): OrderRecord {
  return {
    orderId: order.orderId,
    strategyId: order.strategyId,
    instrumentToken: order.instrumentToken,
    tradingsymbol: order.tradingsymbol,
    side: order.side,
    product: order.product,
    orderType: order.orderType,
    quantity: order.quantity,
    limitPrice: order.limitPrice ?? null,
    triggerPrice: order.triggerPrice ?? null,
    parentOrderId: order.parentOrderId ?? null,
    correlationId: order.correlationId ?? originOf(order),
    submittedAt: order.submittedAt,
    status,
    filledQuantity: order.filledQuantity,
    // Exact halves round up; turnover / quantity of integers is exact enough in a double for that.
    averagePrice: order.filledQuantity > 0 ? Math.round(order.filledTurnover / order.filledQuantity) : null,
    failureReason,
  };
}

/** The record of an order refused at submission (it never became a PaperOrder). */
function rejectedRecord(request: OrderRequest, rejection: OrderRejectedDraft): OrderRecord {
  const { signal } = request.validated;
  const hasLimit = signal.orderType === 'LIMIT' || signal.orderType === 'SL';
  const hasTrigger = signal.orderType === 'SL' || signal.orderType === 'SL-M';
  return {
    orderId: request.orderId,
    strategyId: signal.strategyId,
    instrumentToken: signal.instrumentToken,
    tradingsymbol: signal.tradingsymbol,
    side: signal.side,
    product: signal.product,
    orderType: signal.orderType,
    quantity: rejection.quantity,
    limitPrice: hasLimit ? (signal.limitPrice ?? null) : null,
    triggerPrice: hasTrigger ? (signal.triggerPrice ?? null) : null,
    parentOrderId: null,
    correlationId: request.correlationId,
    submittedAt: request.submittedAt,
    status: 'REJECTED',
    filledQuantity: 0,
    averagePrice: null,
    failureReason: rejection.reason,
  };
}

/** The price an entry's unfilled quantity is reserved at: its limit, else the approved price. */
const reservePriceOf = (validated: SignalValidated, order: PaperOrder) => order.limitPrice ?? validated.approvedPrice;

function isPaperAccountState(value: unknown): value is PaperAccountState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Partial<PaperAccountState>;
  const isRecord = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  return (
    state.version === PAPER_STATE_VERSION &&
    Array.isArray(state.orders) &&
    isRecord(state.cash) &&
    isRecord(state.reservePrices) &&
    isRecord(state.rng)
  );
}

export function createPaperBrokerAdapter(settings: PaperSettings): BrokerAdapter<PaperAccountState> {
  const config: PaperBrokerConfig = {
    slippageBps: settings.slippageBps,
    slippageJitterBps: settings.slippageJitterBps,
    latencyMs: settings.latencyMs,
    tickSize: settings.tickSize ?? DEFAULT_PAPER_BROKER_CONFIG.tickSize,
  };
  // The simulator's config always comes from the settings, never from persisted state.
  const simulator = (state: PaperAccountState): PaperBrokerState => ({ config, orders: state.orders });
  const cashOf = (state: PaperAccountState, strategyId: string) => state.cash[strategyId] ?? settings.startingCash;

  /** Cash promised to the strategy's open BUY entries: unfilled value plus charges. */
  function reservedBy(state: PaperAccountState, strategyId: string): number {
    let reserved = 0;
    for (const order of state.orders) {
      if (order.strategyId !== strategyId || order.side !== 'BUY' || order.parentOrderId !== undefined) continue;
      const price = state.reservePrices[order.orderId] ?? order.limitPrice ?? 0;
      const remaining = order.quantity - order.filledQuantity;
      if (price <= 0 || remaining <= 0) continue;
      reserved += price * remaining + orderCharges(order.product, 'BUY', paise(price), remaining).total;
    }
    return reserved;
  }

  return {
    kind: 'paper',

    initialState: () => ({ version: PAPER_STATE_VERSION, orders: [], cash: {}, reservePrices: {}, rng: {} }),

    restore(saved) {
      if (!isPaperAccountState(saved)) {
        throw new Error(`the paper trading engine's saved state is not a version ${PAPER_STATE_VERSION} paper account`);
      }
      return saved;
    },

    submit(state, request): BrokerStep<PaperAccountState> {
      const { validated, orderId } = request;
      const strategyId = validated.signal.strategyId;
      const result = submit(simulator(state), {
        validated,
        now: request.submittedAt,
        orderId,
        availableCash: cashOf(state, strategyId) - reservedBy(state, strategyId),
        correlationId: request.correlationId,
      });
      if (result.outcome === 'rejected') {
        const report: ExecutionReport = { type: 'order_rejected', originId: orderId, data: result.rejection, order: rejectedRecord(request, result.rejection) };
        return { state, reports: [report] };
      }
      const order = result.state.orders.find((o) => o.orderId === orderId)!;
      const reservePrices =
        order.side === 'BUY' ? { ...state.reservePrices, [orderId]: reservePriceOf(validated, order) } : state.reservePrices;
      return {
        state: { ...state, orders: result.state.orders, reservePrices },
        reports: [{ type: 'order_submitted', originId: orderId, data: result.order, order: record(order, 'OPEN') }],
      };
    },

    onTick(state, tick: Tick, at) {
      const token = tick.instrumentToken;
      const rngKey = String(token);
      const rng = mulberry32(state.rng[rngKey] ?? instrumentSeed(settings.seed, token));
      const rngBefore = rng.state();
      const availableCash: Record<string, number> = {};
      for (const order of state.orders) {
        if (order.instrumentToken === token) availableCash[order.strategyId] = cashOf(state, order.strategyId);
      }
      const result = onTick(simulator(state), tick, at, rng, { availableCash });

      const reported = result.fills.length + result.rejections.length + result.cancellations.length + result.exits.length > 0;
      // Without reports the order list keeps its shape; only a stop may have been triggered.
      const triggered = !reported && result.state.orders.some((o, i) => o.triggered !== state.orders[i]!.triggered);
      const drew = rng.state() !== rngBefore;
      if (!reported && !triggered && !drew) return { state, reports: [] };

      const before = new Map(state.orders.map((o) => [o.orderId, o]));
      const after = new Map(result.state.orders.map((o) => [o.orderId, o]));
      const progressed = new Map<string, PaperOrder>();
      const cash = { ...state.cash };
      const reports: ExecutionReport[] = [];
      for (const fill of result.fills) {
        const base = progressed.get(fill.orderId) ?? before.get(fill.orderId)!;
        const value = fill.price * fill.quantity;
        const order = { ...base, filledQuantity: fill.cumulativeQuantity, filledTurnover: base.filledTurnover + value };
        progressed.set(fill.orderId, order);
        const held = cash[fill.strategyId] ?? settings.startingCash;
        cash[fill.strategyId] = held + (fill.side === 'BUY' ? -value : value) - fill.charges.total;
        const status = fill.remainingQuantity === 0 ? 'COMPLETE' : 'OPEN';
        reports.push({ type: 'order_filled', originId: originOf(order), data: fill, order: record(order, status) });
      }
      for (const rejection of result.rejections) {
        const order = progressed.get(rejection.orderId) ?? before.get(rejection.orderId)!;
        reports.push({ type: 'order_rejected', originId: originOf(order), data: rejection, order: record(order, 'REJECTED', rejection.reason) });
      }
      for (const cancellation of result.cancellations) {
        const order = progressed.get(cancellation.orderId) ?? before.get(cancellation.orderId)!;
        reports.push({ type: 'order_cancelled', originId: originOf(order), data: cancellation, order: record(order, 'CANCELLED', cancellation.reason) });
      }
      for (const exit of result.exits) {
        const order = after.get(exit.orderId)!;
        reports.push({ type: 'order_submitted', originId: originOf(order), data: exit, order: record(order, 'OPEN') });
      }

      const reservePrices = Object.fromEntries(Object.entries(state.reservePrices).filter(([id]) => after.has(id)));
      const rngStates = drew ? { ...state.rng, [rngKey]: rng.state() } : state.rng;
      return { state: { ...state, orders: result.state.orders, cash, reservePrices, rng: rngStates }, reports };
    },

    watches: (state, instrumentToken) => state.orders.some((o) => o.instrumentToken === instrumentToken),
  };
}
