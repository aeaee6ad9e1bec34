// Orders and fills of a namespace from Postgres, newest first, filtered and paginated by keyset:
// the cursor carries the last row's exact timestamp (Postgres' own text, microseconds kept) and
// id, so pages never skip or repeat a row when new ones arrive meanwhile.
import type { BrokerNamespace } from '../core/domain/namespace';
import { formatIst } from '../core/domain/market-hours';
import type { Queryable } from '../core/postgres/pool';
import { ApiError } from './errors';

export interface PageQuery {
  limit: number;
  cursor?: string;
  strategy?: string;
  from?: string;
  to?: string;
}

export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): [string, string] | [null, null] {
  if (cursor === undefined) return [null, null];
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string') && !Number.isNaN(Date.parse(String(value[0])))) {
      return value as [string, string];
    }
  } catch {
    // fall through: not one of ours
  }
  throw new ApiError('bad_request', 'query.cursor: not a cursor this API gave (use nextCursor from the previous page)');
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function paginate<R extends { cursor_at: string }, T>(rows: R[], limit: number, idOf: (row: R) => string, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: more && last ? encodeCursor(last.cursor_at, idOf(last)) : null };
}

export interface OrderRow {
  order_id: string;
  strategy_id: string;
  instrument_token: number;
  tradingsymbol: string;
  side: 'BUY' | 'SELL';
  product: 'MIS' | 'CNC';
  order_type: 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';
  quantity: number;
  limit_price_paise: number | null;
  trigger_price_paise: number | null;
  status: string;
  filled_quantity: number;
  average_price_paise: number | null;
  parent_order_id: string | null;
  correlation_id: string;
  failure_reason: string | null;
  submitted_at: Date;
  updated_at: Date;
  cursor_at: string;
}

export const ORDER_COLUMNS = `order_id, strategy_id, instrument_token, tradingsymbol, side, product, order_type, quantity,
            limit_price_paise, trigger_price_paise, status, filled_quantity, average_price_paise, parent_order_id,
            correlation_id::text as correlation_id, failure_reason, submitted_at, updated_at`;

/** An orders row as the API answers it (orderSchema). */
export const orderView = (row: Omit<OrderRow, 'cursor_at'>) => ({
  orderId: row.order_id,
  strategyId: row.strategy_id,
  instrumentToken: row.instrument_token,
  tradingsymbol: row.tradingsymbol,
  side: row.side,
  product: row.product,
  orderType: row.order_type,
  quantity: row.quantity,
  limitPrice: row.limit_price_paise,
  triggerPrice: row.trigger_price_paise,
  status: row.status,
  filledQuantity: row.filled_quantity,
  averagePrice: row.average_price_paise,
  parentOrderId: row.parent_order_id,
  correlationId: row.correlation_id,
  failureReason: row.failure_reason,
  submittedAt: formatIst(row.submitted_at),
  updatedAt: formatIst(row.updated_at),
});

export async function listOrders(db: Queryable, namespace: BrokerNamespace, query: PageQuery & { status?: string }) {
  const [afterAt, afterId] = decodeCursor(query.cursor);
  const { rows } = await db.query<OrderRow>(
    `select ${ORDER_COLUMNS}, submitted_at::text as cursor_at
       from orders
      where namespace = $1
        and ($2::text is null or strategy_id = $2)
        and ($3::text is null or status = $3)
        and ($4::timestamptz is null or submitted_at >= $4)
        and ($5::timestamptz is null or submitted_at < $5)
        and ($6::timestamptz is null or (submitted_at, order_id) < ($6::timestamptz, $7::text))
      order by submitted_at desc, order_id desc
      limit $8`,
    [namespace, query.strategy ?? null, query.status ?? null, query.from ?? null, query.to ?? null, afterAt, afterId, query.limit + 1],
  );
  return paginate(rows, query.limit, (row) => row.order_id, orderView);
}

export interface FillRow {
  fill_id: string;
  order_id: string;
  strategy_id: string;
  instrument_token: number;
  side: 'BUY' | 'SELL';
  quantity: number;
  price_paise: number;
  charges_paise: number;
  charges: Record<string, number>;
  filled_at: Date;
  cursor_at: string;
}

export const FILL_COLUMNS = 'fill_id, order_id, strategy_id, instrument_token, side, quantity, price_paise, charges_paise, charges, filled_at';

/** A fills row as the API answers it (fillSchema). */
export const fillView = (row: Omit<FillRow, 'cursor_at'>) => ({
  fillId: row.fill_id,
  orderId: row.order_id,
  strategyId: row.strategy_id,
  instrumentToken: row.instrument_token,
  side: row.side,
  quantity: row.quantity,
  price: row.price_paise,
  chargesPaid: row.charges_paise,
  charges: row.charges,
  filledAt: formatIst(row.filled_at),
});

export async function listFills(db: Queryable, namespace: BrokerNamespace, query: PageQuery & { order?: string }) {
  const [afterAt, afterId] = decodeCursor(query.cursor);
  const { rows } = await db.query<FillRow>(
    `select ${FILL_COLUMNS}, filled_at::text as cursor_at
       from fills
      where namespace = $1
        and ($2::text is null or strategy_id = $2)
        and ($3::text is null or order_id = $3)
        and ($4::timestamptz is null or filled_at >= $4)
        and ($5::timestamptz is null or filled_at < $5)
        and ($6::timestamptz is null or (filled_at, fill_id) < ($6::timestamptz, $7::text))
      order by filled_at desc, fill_id desc
      limit $8`,
    [namespace, query.strategy ?? null, query.order ?? null, query.from ?? null, query.to ?? null, afterAt, afterId, query.limit + 1],
  );
  return paginate(rows, query.limit, (row) => row.fill_id, fillView);
}
