// Reading the trading engine's orders and fills (migrations/1763978400002_orders-and-fills.js;
// written by services/trading-engine/store.ts) for operators: newest first, filtered by
// strategy, status and time. Amounts stay integer paise.
import type { BrokerNamespace } from '../domain/namespace';
import type { Queryable } from './pool';

/** The values of `orders.status` (Zerodha's names), as the trading engine records them. */
export const ORDER_STATUSES = ['OPEN', 'COMPLETE', 'CANCELLED', 'REJECTED'] as const;
export type OrderStatusName = (typeof ORDER_STATUSES)[number];

export const DEFAULT_TRADES_LIMIT = 50;

export interface TradesFilter {
  strategyId?: string;
  /** Orders submitted (fills filled) at or after this instant. */
  since?: Date;
  limit?: number;
}

export interface OrdersFilter extends TradesFilter {
  status?: OrderStatusName;
}

export interface OrderRow {
  orderId: string;
  strategyId: string;
  instrumentToken: number;
  tradingsymbol: string;
  side: 'BUY' | 'SELL';
  product: string;
  orderType: string;
  quantity: number;
  filledQuantity: number;
  limitPricePaise: number | null;
  triggerPricePaise: number | null;
  averagePricePaise: number | null;
  status: string;
  parentOrderId: string | null;
  failureReason: string | null;
  submittedAt: Date;
  updatedAt: Date;
}

export interface FillRow {
  fillId: string;
  orderId: string;
  strategyId: string;
  instrumentToken: number;
  /** From the order row, else the instrument list; null when neither has it. */
  tradingsymbol: string | null;
  side: 'BUY' | 'SELL';
  quantity: number;
  pricePaise: number;
  chargesPaise: number;
  /** The itemised charges, in paise. */
  charges: Record<string, number>;
  filledAt: Date;
}

/** The where clause and parameters shared by both listings: $1 is the namespace. */
function conditions(alias: string, timeColumn: string, namespace: BrokerNamespace, filter: OrdersFilter) {
  const where = [`${alias}.namespace = $1`];
  const params: unknown[] = [namespace];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.strategyId !== undefined) add(`${alias}.strategy_id = ?`, filter.strategyId);
  if (filter.status !== undefined) add(`${alias}.status = ?`, filter.status);
  if (filter.since !== undefined) add(`${alias}.${timeColumn} >= ?`, filter.since);
  params.push(filter.limit ?? DEFAULT_TRADES_LIMIT);
  return { where: where.join(' and '), params, limit: `$${params.length}` };
}

export async function listOrders(db: Queryable, namespace: BrokerNamespace, filter: OrdersFilter = {}): Promise<OrderRow[]> {
  const { where, params, limit } = conditions('o', 'submitted_at', namespace, filter);
  const { rows } = await db.query<OrderRow>(
    `select o.order_id as "orderId", o.strategy_id as "strategyId", o.instrument_token as "instrumentToken",
            o.tradingsymbol, o.side, o.product, o.order_type as "orderType", o.quantity,
            o.filled_quantity as "filledQuantity", o.limit_price_paise as "limitPricePaise",
            o.trigger_price_paise as "triggerPricePaise", o.average_price_paise as "averagePricePaise",
            o.status, o.parent_order_id as "parentOrderId", o.failure_reason as "failureReason",
            o.submitted_at as "submittedAt", o.updated_at as "updatedAt"
       from orders o
      where ${where}
      order by o.submitted_at desc, o.order_id
      limit ${limit}`,
    params,
  );
  return rows;
}

export async function listFills(db: Queryable, namespace: BrokerNamespace, filter: TradesFilter = {}): Promise<FillRow[]> {
  const { where, params, limit } = conditions('f', 'filled_at', namespace, filter);
  const { rows } = await db.query<FillRow>(
    `select f.fill_id as "fillId", f.order_id as "orderId", f.strategy_id as "strategyId",
            f.instrument_token as "instrumentToken", coalesce(o.tradingsymbol, i.tradingsymbol) as tradingsymbol,
            f.side, f.quantity, f.price_paise as "pricePaise", f.charges_paise as "chargesPaise", f.charges,
            f.filled_at as "filledAt"
       from fills f
       left join orders o on o.namespace = f.namespace and o.order_id = f.order_id
       left join instruments i on i.instrument_token = f.instrument_token
      where ${where}
      order by f.filled_at desc, f.fill_id
      limit ${limit}`,
    params,
  );
  return rows;
}

/** Trading symbols of instrument tokens, from the instrument list; tokens it lacks are absent. */
export async function instrumentSymbols(db: Queryable, tokens: readonly number[]): Promise<Map<number, string>> {
  if (tokens.length === 0) return new Map();
  const { rows } = await db.query<{ instrument_token: number; tradingsymbol: string }>(
    'select instrument_token, tradingsymbol from instruments where instrument_token = any($1::integer[])',
    [[...new Set(tokens)]],
  );
  return new Map(rows.map((row) => [row.instrument_token, row.tradingsymbol]));
}

export interface OrderCount {
  strategyId: string;
  status: OrderStatusName;
  orders: number;
}

/** How many orders each strategy of the namespace has in each status. */
export async function countOrdersByStatus(db: Queryable, namespace: BrokerNamespace): Promise<OrderCount[]> {
  const { rows } = await db.query<OrderCount>(
    `select strategy_id as "strategyId", status, count(*)::integer as orders
       from orders where namespace = $1 group by strategy_id, status order by 1, 2`,
    [namespace],
  );
  return rows;
}

export interface FillCount {
  strategyId: string;
  fills: number;
}

/** How many fills (partial or final) each strategy of the namespace has had. */
export async function countFills(db: Queryable, namespace: BrokerNamespace): Promise<FillCount[]> {
  const { rows } = await db.query<FillCount>(
    `select strategy_id as "strategyId", count(*)::integer as fills from fills where namespace = $1 group by strategy_id order by 1`,
    [namespace],
  );
  return rows;
}
