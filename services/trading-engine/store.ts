// The engine's Postgres rows: one `orders` row per order and one `fills` row per fill, written
// in bulk (one statement per table per batch) and idempotently, so a replayed batch changes
// nothing. An order row only moves forward: an OPEN row takes more fills, a smaller quantity (an
// exit cut down to its position, the rest cancelled) or a final status; a final row (COMPLETE,
// CANCELLED, REJECTED) is never rewritten.
import type { BrokerNamespace } from '../../core/domain/namespace';
import type { OrderFilled } from '../../core/domain/events';
import type { Queryable } from '../../core/postgres/pool';
import type { ExecutionReport, OrderRecord } from './broker';

export interface FillRow {
  eventId: string;
  fill: OrderFilled;
}

const UPSERT_ORDERS = `
  insert into orders as o (
    namespace, order_id, strategy_id, instrument_token, tradingsymbol, side, product, order_type, quantity,
    limit_price_paise, trigger_price_paise, status, filled_quantity, average_price_paise, parent_order_id,
    correlation_id, failure_reason, submitted_at, updated_at)
  select $1, r.order_id, r.strategy_id, r.instrument_token, r.tradingsymbol, r.side, r.product, r.order_type, r.quantity,
         r.limit_price_paise, r.trigger_price_paise, r.status, r.filled_quantity, r.average_price_paise, r.parent_order_id,
         r.correlation_id, r.failure_reason, r.submitted_at, now()
    from jsonb_to_recordset($2::jsonb) as r(
      order_id text, strategy_id text, instrument_token integer, tradingsymbol text, side text, product text,
      order_type text, quantity integer, limit_price_paise bigint, trigger_price_paise bigint, status text,
      filled_quantity integer, average_price_paise bigint, parent_order_id text, correlation_id uuid,
      failure_reason text, submitted_at timestamptz)
  on conflict (namespace, order_id) do update set
    quantity = excluded.quantity,
    status = excluded.status,
    filled_quantity = excluded.filled_quantity,
    average_price_paise = excluded.average_price_paise,
    failure_reason = excluded.failure_reason,
    updated_at = now()
  where o.status = 'OPEN'
    and (excluded.status <> 'OPEN' or excluded.filled_quantity > o.filled_quantity or excluded.quantity < o.quantity)`;

const INSERT_FILLS = `
  insert into fills (
    namespace, fill_id, order_id, strategy_id, instrument_token, side, quantity, price_paise, charges_paise,
    charges, event_id, filled_at, broker_order_id)
  select $1, r.fill_id, r.order_id, r.strategy_id, r.instrument_token, r.side, r.quantity, r.price_paise,
         r.charges_paise, r.charges, r.event_id, r.filled_at, r.broker_order_id
    from jsonb_to_recordset($2::jsonb) as r(
      fill_id text, order_id text, strategy_id text, instrument_token integer, side text, quantity integer,
      price_paise bigint, charges_paise bigint, charges jsonb, event_id uuid, filled_at timestamptz,
      broker_order_id text)
  on conflict do nothing`;

/** Upserts the latest record of each order (one per order id). */
export async function upsertOrders(db: Queryable, namespace: BrokerNamespace, records: Iterable<OrderRecord>): Promise<void> {
  const rows = [...records].map((r) => ({
    order_id: r.orderId,
    strategy_id: r.strategyId,
    instrument_token: r.instrumentToken,
    tradingsymbol: r.tradingsymbol,
    side: r.side,
    product: r.product,
    order_type: r.orderType,
    quantity: r.quantity,
    limit_price_paise: r.limitPrice,
    trigger_price_paise: r.triggerPrice,
    status: r.status,
    filled_quantity: r.filledQuantity,
    average_price_paise: r.averagePrice,
    parent_order_id: r.parentOrderId,
    correlation_id: r.correlationId,
    failure_reason: r.failureReason,
    submitted_at: r.submittedAt,
  }));
  if (rows.length > 0) await db.query(UPSERT_ORDERS, [namespace, JSON.stringify(rows)]);
}

/** Inserts fills; one already recorded (same fill id or event id) is left as it is. */
export async function insertFills(db: Queryable, namespace: BrokerNamespace, fills: readonly FillRow[]): Promise<void> {
  const rows = fills.map(({ eventId, fill }) => ({
    fill_id: fill.fillId,
    order_id: fill.orderId,
    strategy_id: fill.strategyId,
    instrument_token: fill.instrumentToken,
    side: fill.side,
    quantity: fill.quantity,
    price_paise: fill.price,
    charges_paise: fill.charges.total,
    charges: fill.charges,
    event_id: eventId,
    filled_at: fill.filledAt,
    broker_order_id: fill.brokerOrderId ?? null,
  }));
  if (rows.length > 0) await db.query(INSERT_FILLS, [namespace, JSON.stringify(rows)]);
}

/**
 * The rows of reports about to be produced (`eventIds[i]` is the id of report i's event): each
 * order's latest record and every fill. The two statements run side by side: there is no key
 * between the tables (a fill is recorded even before its order's row), and a replay repeats both.
 */
export async function recordReports(db: Queryable, namespace: BrokerNamespace, reports: readonly ExecutionReport[], eventIds: readonly string[]): Promise<void> {
  const orders = new Map<string, OrderRecord>();
  const fills: FillRow[] = [];
  reports.forEach((report, index) => {
    orders.set(report.order.orderId, report.order);
    if (report.type === 'order_filled') fills.push({ eventId: eventIds[index]!, fill: report.data });
  });
  await Promise.all([upsertOrders(db, namespace, orders.values()), insertFills(db, namespace, fills)]);
}
