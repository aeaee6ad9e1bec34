// The broker port of the trading engine. The engine turns validated signals and ticks into order
// events, Postgres rows and persisted state; WHERE orders go is an adapter behind this interface:
// the paper broker (a deterministic simulated exchange, paper-broker-adapter.ts) and the Kite
// adapter of the zerodha namespace (kite-broker-adapter.ts), with the same engine around both.
//
// An adapter is a state machine over plain JSON state that the engine persists in Redis with the
// batch that changed it. Every call returns the next state and what happened (execution reports);
// it must not mutate the state it was given, because the engine recomputes from the committed
// state when a batch has to be retried. The paper adapter answers at once; a live venue answers
// asynchronously (`submit` calls Kite), reports what happened at the venue later through
// `pollUpdates`, and checks itself against the venue at start with `reconcile`.
import type { OrderCancelled, OrderFilled, OrderRejected, OrderSubmitted, SignalValidated, Tick } from '../../core/domain/events';

/** Order status as recorded in the `orders` table (Zerodha's names). */
export type OrderStatus = 'OPEN' | 'COMPLETE' | 'CANCELLED' | 'REJECTED';

/** An order as the `orders` table records it after the event that produced this record. */
export interface OrderRecord {
  orderId: string;
  strategyId: string;
  instrumentToken: number;
  tradingsymbol: string;
  side: 'BUY' | 'SELL';
  product: 'MIS' | 'CNC';
  orderType: 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';
  quantity: number;
  limitPrice: number | null;
  triggerPrice: number | null;
  parentOrderId: string | null;
  correlationId: string;
  submittedAt: string;
  status: OrderStatus;
  filledQuantity: number;
  /** Turnover of the fills so far / filled quantity, rounded to the paisa; null before a fill. */
  averagePrice: number | null;
  failureReason: string | null;
}

interface ReportBase {
  /**
   * The id (a UUID) every event of this order's family derives from: the entry order's id, which
   * the engine derived from the validated signal. Exits share their entry's origin, so the events
   * of one trade keep the same ids however often they are recomputed.
   */
  originId: string;
  order: OrderRecord;
}

export type ExecutionReport =
  | (ReportBase & { type: 'order_submitted'; data: OrderSubmitted })
  | (ReportBase & { type: 'order_filled'; data: OrderFilled })
  | (ReportBase & { type: 'order_rejected'; data: OrderRejected })
  | (ReportBase & { type: 'order_cancelled'; data: OrderCancelled });

export interface OrderRequest {
  validated: SignalValidated;
  /** Chosen by the engine, deterministically from the signal event's id. */
  orderId: string;
  /** Event time of the validated signal. */
  submittedAt: string;
  correlationId: string;
}

/** What a batch decides with besides the state and its events: read once per batch (processOnce's context). */
export interface TradingContext {
  /**
   * Set while the namespace's kill switch is on, to the reason orders are refused or cancelled
   * with ("kill switch on: ..."): no new exposure; orders that reduce a position still go through.
   */
  halted: string | null;
}

export interface BrokerStep<S> {
  state: S;
  reports: ExecutionReport[];
}

export interface BrokerAdapter<S> {
  /** For logs and health: 'paper', 'kite'. */
  readonly kind: string;
  /** The state of a first start (nothing in Redis yet). */
  initialState(): S;
  /** Checks and upgrades state read back from Redis. */
  restore(saved: unknown): S;
  submit(state: S, request: OrderRequest, context: TradingContext): BrokerStep<S> | Promise<BrokerStep<S>>;
  /** `at` is the tick's event time. */
  onTick(state: S, tick: Tick, at: string, context: TradingContext): BrokerStep<S> | Promise<BrokerStep<S>>;
  /** Fast path of the tick hot loop: false when a tick of this instrument at `at` cannot change anything. */
  watches(state: S, instrumentToken: number, at: string): boolean;
  /**
   * A live venue: what happened to the open orders since `state` (fills, rejections,
   * cancellations). Called by the engine every `pollIntervalMs` while nothing else runs.
   */
  pollUpdates?(state: S): Promise<BrokerStep<S>>;
  readonly pollIntervalMs?: number;
  /**
   * A live venue, once at start: the venue's positions and open orders against the state. The
   * venue wins: what differs is adopted (reports, e.g. a reconciling fill) and described.
   */
  reconcile?(state: S): Promise<BrokerStep<S> & { differences: string[] }>;
  /** A live venue's condition for the engine's health. */
  status?(): BrokerStatus;
  /** Ends any wait (for a new session) in progress: the engine is stopping. */
  close?(): void;
}

export interface BrokerStatus {
  /** Orders wait (none is dropped) until the venue can take them again. */
  paused: boolean;
  /**
   * The venue refused the session (Kite's TokenException): a new login is needed. The startup
   * workflow can show `awaiting-auth` from this.
   */
  needsAuth: boolean;
  detail?: string;
  /** What reconciliation at start found different at the venue (and adopted). */
  differences: string[];
}

/** An adapter that answers at once (the paper broker): its tests need no await. */
export interface SyncBrokerAdapter<S> extends BrokerAdapter<S> {
  submit(state: S, request: OrderRequest, context: TradingContext): BrokerStep<S>;
  onTick(state: S, tick: Tick, at: string, context: TradingContext): BrokerStep<S>;
}
