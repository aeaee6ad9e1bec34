// The Kite adapter's state (persisted by the engine in Redis as one JSON document) and the pure
// steps over it that both the adapter's polling and its reconciliation at start use: following
// the tracked orders through a read of Kite's order book, and the order records and positions
// that follow from their events.
import { identityOf, kiteOrderEvents, type KiteOrderContext, type KiteOrderProgress } from '../../core/broker/kite-order-events';
import type { KiteOrder } from '../../core/broker/kite-order-model';
import type { ExecutionReport, OrderRecord, OrderStatus } from './broker';

export const KITE_STATE_VERSION = 1;

/** An order placed at Kite, as the adapter follows it. */
export interface TrackedOrder {
  context: KiteOrderContext;
  kiteOrderId: string;
  orderType: OrderRecord['orderType'];
  quantity: number;
  limitPrice: number | null;
  triggerPrice: number | null;
  correlationId: string;
  submittedAt: string;
  progress: KiteOrderProgress;
}

/** What a record of an order needs besides its status and fills. */
export type OrderDescription = Omit<TrackedOrder, 'kiteOrderId' | 'progress'>;

export interface LocalPosition {
  instrumentToken: number;
  tradingsymbol: string;
  product: string;
  quantity: number;
}

export interface KiteAccountState {
  version: typeof KITE_STATE_VERSION;
  /** Platform order id -> the order at Kite, until it ended. */
  open: Record<string, TrackedOrder>;
  /** `token:product` -> net quantity from the fills this engine booked (and adopted). */
  positions: Record<string, LocalPosition>;
  /**
   * Kite order ids of the orders this engine followed to their end, while they are in Kite's
   * (daily) order book: their fills are in `positions`. Pruned at reconciliation. Absent in state
   * saved before it existed.
   */
  settled?: string[];
}

export function isKiteAccountState(value: unknown): value is KiteAccountState {
  const state = value as Partial<KiteAccountState> | null;
  return typeof state === 'object' && state !== null && state.version === KITE_STATE_VERSION && typeof state.open === 'object' && typeof state.positions === 'object';
}

export const positionKey = (token: number, product: string) => `${token}:${product}`;

export function heldQuantity(positions: Record<string, LocalPosition>, instrumentToken: number, product: string): number {
  return positions[positionKey(instrumentToken, product)]?.quantity ?? 0;
}

/** Adds a fill to the positions it changes (in place: the caller owns the copy). */
export function applyFill(positions: Record<string, LocalPosition>, fill: { instrumentToken: number; tradingsymbol: string; product: string; side: 'BUY' | 'SELL'; quantity: number }): void {
  const key = positionKey(fill.instrumentToken, fill.product);
  const held = positions[key]?.quantity ?? 0;
  positions[key] = { instrumentToken: fill.instrumentToken, tradingsymbol: fill.tradingsymbol, product: fill.product, quantity: held + (fill.side === 'BUY' ? fill.quantity : -fill.quantity) };
}

function statusOf(order: KiteOrder, progress: KiteOrderProgress): OrderStatus {
  if (order.status === 'REJECTED') return 'REJECTED';
  if (order.status === 'CANCELLED') return 'CANCELLED';
  return progress.ended ? 'COMPLETE' : 'OPEN';
}

export function recordOf(tracked: OrderDescription, status: OrderStatus, progress: KiteOrderProgress, reason: string | null): OrderRecord {
  const { context } = tracked;
  return {
    ...identityOf(context),
    orderType: tracked.orderType,
    quantity: tracked.quantity,
    limitPrice: tracked.limitPrice,
    triggerPrice: tracked.triggerPrice,
    parentOrderId: context.parentOrderId ?? null,
    correlationId: tracked.correlationId,
    submittedAt: tracked.submittedAt,
    status,
    filledQuantity: progress.filledQuantity,
    averagePrice: progress.filledQuantity > 0 ? Math.round(progress.filledTurnover / progress.filledQuantity) : null,
    failureReason: reason,
  };
}

const sameProgress = (a: KiteOrderProgress, b: KiteOrderProgress) =>
  a.submitted === b.submitted && a.filledQuantity === b.filledQuantity && a.filledTurnover === b.filledTurnover && a.ended === b.ended;

/** An order whose progress a read of the book changed. */
export interface OrderChange {
  before: TrackedOrder;
  order: KiteOrder;
  progress: KiteOrderProgress;
}

/**
 * The tracked orders brought up to a read of Kite's order book: the events of what changed at
 * Kite since they were last seen (fills applied to the positions), the orders that ended moved to
 * `settled`. Orders the book does not hold are left as they are.
 */
export function followOrders(state: KiteAccountState, book: ReadonlyMap<string, KiteOrder>): { state: KiteAccountState; reports: ExecutionReport[]; changes: OrderChange[] } {
  const open = { ...state.open };
  const positions = { ...state.positions };
  const settled = [...(state.settled ?? [])];
  const reports: ExecutionReport[] = [];
  const changes: OrderChange[] = [];
  for (const [orderId, tracked] of Object.entries(state.open)) {
    const order = book.get(tracked.kiteOrderId);
    if (!order) continue;
    const { progress, events } = kiteOrderEvents(tracked.context, tracked.progress, order);
    if (events.length === 0 && sameProgress(progress, tracked.progress)) continue;
    changes.push({ before: tracked, order, progress });
    const orderStatus = statusOf(order, progress);
    const reason = orderStatus === 'REJECTED' || orderStatus === 'CANCELLED' ? (order.statusMessage ?? orderStatus.toLowerCase()) : null;
    for (const event of events) {
      if (event.type === 'order_filled') applyFill(positions, event.data);
      reports.push({ ...event, originId: orderId, order: recordOf(tracked, orderStatus, progress, reason) } as ExecutionReport);
    }
    if (progress.ended) {
      delete open[orderId];
      settled.push(tracked.kiteOrderId);
    } else open[orderId] = { ...tracked, progress };
  }
  return { state: { ...state, open, positions, settled }, reports, changes };
}
