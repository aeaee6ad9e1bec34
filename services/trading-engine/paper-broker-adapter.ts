// The paper broker behind the engine's broker port: the simulated exchange of
// core/domain/trading/paper-broker.ts plus the account around it.
//
// Cash: the adapter keeps its own cash ledger per strategy (starting cash, minus what BUY fills
// cost, plus what SELL fills brought, charges taken out of every fill). That is the same
// arithmetic over the same fills as the portfolio manager's cash, but it is part of this state,
// so the cash check is exact at the moment of submission and a replay decides it the same way;
// reading the portfolio's Redis state instead would lag behind fills still in flight and depend
// on the portfolio manager's timing. Positions come from the same fills (the simulator keeps
// them). What a strategy may put into new exposure is its free cash (cash, less what its open
// positions block: MIS margin, CNC cost; short-sale proceeds never count, see
// core/domain/trading/paper-positions.ts) less what its open entries reserve: each entry
// reserves, at its limit (or approved) price, the margin of the part that added exposure when it
// was submitted, plus charges. A fill is checked again against the free cash actually left.
//
// Fills: without latency a MARKET entry fills at submission, at its signal's reference price
// (core/domain/trading/paper-broker.ts): `submit` reports order_submitted, then order_filled (or
// order_rejected for margin) and the entry's exits. `submit` and `onTick` book what the simulator
// did through the same `settle`: cash, reports, reservations.
//
// Randomness: a tick's fills draw from one generator per instrument (seeded from PAPER__SEED and
// the token), its state persisted with the orders. An instrument's ticks arrive in order on one
// partition, so the draws do not depend on how partitions and the two input topics interleave.
// A fill at submission draws from a generator of its own (PAPER__SEED and the order id, never
// persisted): where signals fall among the ticks depends on timing, the instrument's would too.
import type { SignalValidated, Tick } from '../../core/domain/events';
import { orderCharges } from '../../core/domain/trading/charges';
import {
  DEFAULT_PAPER_BROKER_CONFIG,
  identity,
  isReduceOnly,
  nextSessionDeadline,
  onTick,
  submit,
  type OrderRejectedDraft,
  type PaperBrokerConfig,
  type PaperBrokerState,
  type PaperEvent,
  type PaperOrder,
} from '../../core/domain/trading/paper-broker';
import { freeCash, marginFor, type PositionBook } from '../../core/domain/trading/paper-positions';
import { mulberry32 } from '../../core/domain/trading/rng';
import { paise } from '../../core/domain/money';
import type { BrokerStep, ExecutionReport, OrderRecord, OrderRequest, OrderStatus, SyncBrokerAdapter, TradingContext } from './broker';

/** 2: positions and margin reservations (version 1 had neither, and cannot be upgraded). */
export const PAPER_STATE_VERSION = 2;

/** What an open entry holds back from new exposure (see the header). */
export interface Reservation {
  /** Its limit price, else the approved price, in paise. */
  price: number;
  /** The part of the order that added exposure when it was submitted. */
  quantity: number;
}

export interface PaperAccountState {
  version: typeof PAPER_STATE_VERSION;
  /** Open orders in submission order. */
  orders: PaperOrder[];
  /** Open positions per strategy, instrument and product, from this account's fills. */
  positions: PositionBook;
  /** strategy id -> cash in paise; a strategy not listed still has its starting cash. */
  cash: Record<string, number>;
  /** Open entry id -> what it reserves; entries that only reduce a position reserve nothing. */
  reservations: Record<string, Reservation>;
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
  /** MIS margin is the value divided by this (PAPER__MIS_LEVERAGE); default 5. */
  misLeverage?: number;
}

/** The settings of the paper broker in the configuration (PAPER__*). */
export function paperSettings(
  paper: Pick<PaperSettings, 'slippageBps' | 'slippageJitterBps' | 'latencyMs' | 'seed'> & { startingCashPaise: number; misLeverage: number },
): PaperSettings {
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

/** FNV-1a (32-bit) over a string's UTF-16 code units: a small stable hash (order ids are ASCII). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** The seed of a fill at submission: the same order always draws the same, whatever ticks came first. */
export const orderSeed = (seed: number, orderId: string) => mix32(seed ^ mix32(fnv1a(orderId)));

/** Exits share the id family of their entry. */
const originOf = (order: PaperOrder) => order.parentOrderId ?? order.orderId;

function record(order: PaperOrder, status: OrderStatus, failureReason: string | null = null): OrderRecord {
  return {
    ...identity(order),
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
  const records = [state.positions, state.cash, state.reservations, state.rng];
  return state.version === PAPER_STATE_VERSION && Array.isArray(state.orders) && records.every(isRecord);
}

const haltedBy = (context: TradingContext) => (context.halted !== null ? { halted: context.halted } : {});

function statusOf(event: PaperEvent): OrderStatus {
  switch (event.type) {
    case 'order_submitted':
      return 'OPEN';
    case 'order_filled':
      return event.data.remainingQuantity === 0 ? 'COMPLETE' : 'OPEN';
    case 'order_rejected':
      return 'REJECTED';
    case 'order_cancelled':
      // A cut leaves the order open with its smaller quantity.
      return event.final ? 'CANCELLED' : 'OPEN';
  }
}

export function createPaperBrokerAdapter(settings: PaperSettings): SyncBrokerAdapter<PaperAccountState> {
  const config: PaperBrokerConfig = {
    slippageBps: settings.slippageBps,
    slippageJitterBps: settings.slippageJitterBps,
    latencyMs: settings.latencyMs,
    tickSize: settings.tickSize ?? DEFAULT_PAPER_BROKER_CONFIG.tickSize,
    misLeverage: settings.misLeverage ?? DEFAULT_PAPER_BROKER_CONFIG.misLeverage,
  };
  // The simulator's config always comes from the settings, never from persisted state.
  const simulator = (state: PaperAccountState): PaperBrokerState => ({ config, orders: state.orders, positions: state.positions });
  const cashOf = (state: PaperAccountState, strategyId: string) => state.cash[strategyId] ?? settings.startingCash;
  const freeOf = (state: PaperAccountState, strategyId: string) => freeCash(cashOf(state, strategyId), state.positions, strategyId, config.misLeverage);

  /** Cash promised to the strategy's open entries: margin of their unfilled exposure plus charges. */
  function reservedBy(state: PaperAccountState, strategyId: string): number {
    let reserved = 0;
    for (const order of state.orders) {
      const reservation = state.reservations[order.orderId];
      if (order.strategyId !== strategyId || isReduceOnly(order) || !reservation) continue;
      const open = Math.min(order.quantity - order.filledQuantity, reservation.quantity);
      if (open <= 0) continue;
      const margin = marginFor(order.product, reservation.price * open, config.misLeverage);
      reserved += margin + orderCharges(order.product, order.side, paise(reservation.price), open).total;
    }
    return reserved;
  }

  /**
   * Books what the simulator did (`events`, leading to `next`) into the account: fills move the
   * cash ledger, every event becomes a report, and only open orders keep their reservations.
   */
  function settle(state: PaperAccountState, next: PaperBrokerState, events: readonly PaperEvent[], reservations: Record<string, Reservation>, rng: Record<string, number>) {
    const cash = { ...state.cash };
    const reports: ExecutionReport[] = [];
    for (const event of events) {
      if (event.type === 'order_filled') {
        const fill = event.data;
        const value = fill.price * fill.quantity;
        const held = cash[fill.strategyId] ?? settings.startingCash;
        cash[fill.strategyId] = held + (fill.side === 'BUY' ? -value : value) - fill.charges.total;
      }
      const status = statusOf(event);
      const reason = status === 'REJECTED' || status === 'CANCELLED' ? (event.data as { reason: string }).reason : null;
      reports.push({ type: event.type, originId: originOf(event.order), data: event.data, order: record(event.order, status, reason) } as ExecutionReport);
    }
    const open = new Set(next.orders.map((o) => o.orderId));
    const kept = Object.fromEntries(Object.entries(reservations).filter(([id]) => open.has(id)));
    return { state: { ...state, orders: next.orders, positions: next.positions, cash, reservations: kept, rng }, reports };
  }

  return {
    kind: 'paper',

    initialState: () => ({ version: PAPER_STATE_VERSION, orders: [], positions: {}, cash: {}, reservations: {}, rng: {} }),

    restore(saved) {
      const version = typeof saved === 'object' && saved !== null ? (saved as { version?: unknown }).version : undefined;
      if (version === 1) {
        throw new Error(
          "the paper trading engine's saved state is a version 1 paper account, which records no positions; exits and margin " +
            `need them, so it cannot be upgraded: delete it to start a fresh version ${PAPER_STATE_VERSION} paper account`,
        );
      }
      if (!isPaperAccountState(saved)) {
        throw new Error(`the paper trading engine's saved state is not a version ${PAPER_STATE_VERSION} paper account`);
      }
      return saved;
    },

    submit(state, request, context): BrokerStep<PaperAccountState> {
      const { validated, orderId } = request;
      const strategyId = validated.signal.strategyId;
      const free = freeOf(state, strategyId);
      const result = submit(simulator(state), {
        validated,
        now: request.submittedAt,
        orderId,
        availableCash: free - reservedBy(state, strategyId),
        // A fill at submission is checked as a tick's fills are: against free cash, not less reservations.
        freeCash: free,
        rng: mulberry32(orderSeed(settings.seed, orderId)),
        correlationId: request.correlationId,
        ...haltedBy(context),
      });
      if (result.outcome === 'rejected') {
        const report: ExecutionReport = { type: 'order_rejected', originId: orderId, data: result.rejection, order: rejectedRecord(request, result.rejection) };
        return { state, reports: [report] };
      }
      const reservation = { price: reservePriceOf(validated, result.events[0]!.order), quantity: result.addedQuantity };
      const reservations = result.addedQuantity > 0 ? { ...state.reservations, [orderId]: reservation } : state.reservations;
      return settle(state, result.state, result.events, reservations, state.rng);
    },

    onTick(state, tick: Tick, at, context) {
      const token = tick.instrumentToken;
      const rngKey = String(token);
      const rng = mulberry32(state.rng[rngKey] ?? instrumentSeed(settings.seed, token));
      const rngBefore = rng.state();
      const availableCash: Record<string, number> = {};
      for (const order of state.orders) {
        if (order.instrumentToken === token) availableCash[order.strategyId] ??= freeOf(state, order.strategyId);
      }
      const result = onTick(simulator(state), tick, at, rng, { availableCash, ...haltedBy(context) });

      const reported = result.events.length > 0;
      // Without reports the order list keeps its shape; only a stop may have been triggered.
      const triggered = !reported && result.state.orders.some((o, i) => o.triggered !== state.orders[i]!.triggered);
      const drew = rng.state() !== rngBefore;
      if (!reported && !triggered && !drew) return { state, reports: [] };
      return settle(state, result.state, result.events, state.reservations, drew ? { ...state.rng, [rngKey]: rng.state() } : state.rng);
    },

    watches: (state, instrumentToken, at) =>
      state.orders.some((o) => o.instrumentToken === instrumentToken) || Date.parse(at) >= nextSessionDeadline(state),
  };
}
