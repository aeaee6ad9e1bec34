// Orders and their fills, per broker namespace. Amounts are integer paise. There is no foreign
// key from fills to orders or instruments on purpose: a fill is a fact reported by the broker and
// must be recorded even if the row it refers to is written later or is missing.

const NAMESPACE_CHECK = "namespace IN ('paper', 'zerodha')";
const SIDE_CHECK = "side IN ('BUY', 'SELL')";

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  pgm.createTable(
    'orders',
    {
      namespace: { type: 'text', notNull: true, check: NAMESPACE_CHECK },
      order_id: { type: 'text', notNull: true },
      strategy_id: { type: 'text', notNull: true },
      instrument_token: { type: 'integer', notNull: true },
      tradingsymbol: { type: 'text', notNull: true },
      side: { type: 'text', notNull: true, check: SIDE_CHECK },
      product: { type: 'text', notNull: true, check: "product IN ('MIS', 'CNC')" },
      order_type: { type: 'text', notNull: true, check: "order_type IN ('MARKET', 'LIMIT', 'SL', 'SL-M')" },
      quantity: { type: 'integer', notNull: true, check: 'quantity > 0' },
      limit_price_paise: { type: 'bigint', check: 'limit_price_paise > 0' },
      trigger_price_paise: { type: 'bigint', check: 'trigger_price_paise > 0' },
      status: { type: 'text', notNull: true },
      filled_quantity: { type: 'integer', notNull: true, default: 0, check: 'filled_quantity >= 0' },
      average_price_paise: { type: 'bigint', check: 'average_price_paise > 0' },
      parent_order_id: { type: 'text' },
      correlation_id: { type: 'uuid', notNull: true },
      failure_reason: { type: 'text' },
      submitted_at: { type: 'timestamptz', notNull: true },
      updated_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    },
    { constraints: { primaryKey: ['namespace', 'order_id'] } },
  );
  pgm.addConstraint('orders', 'orders_filled_within_quantity_check', { check: 'filled_quantity <= quantity' });
  pgm.createIndex('orders', ['namespace', 'strategy_id', { name: 'submitted_at', sort: 'DESC' }], {
    name: 'orders_strategy_idx',
  });
  pgm.createIndex('orders', ['correlation_id'], { name: 'orders_correlation_idx' });

  pgm.createTable(
    'fills',
    {
      namespace: { type: 'text', notNull: true, check: NAMESPACE_CHECK },
      fill_id: { type: 'text', notNull: true },
      order_id: { type: 'text', notNull: true },
      strategy_id: { type: 'text', notNull: true },
      instrument_token: { type: 'integer', notNull: true },
      side: { type: 'text', notNull: true, check: SIDE_CHECK },
      quantity: { type: 'integer', notNull: true, check: 'quantity > 0' },
      price_paise: { type: 'bigint', notNull: true, check: 'price_paise > 0' },
      charges_paise: { type: 'bigint', notNull: true, check: 'charges_paise >= 0' },
      // The itemised charges (brokerage, STT, exchange, SEBI, stamp duty, GST), in paise.
      charges: { type: 'jsonb', notNull: true },
      // The order_filled event this row came from: recording it twice is refused.
      event_id: { type: 'uuid', notNull: true },
      filled_at: { type: 'timestamptz', notNull: true },
    },
    { constraints: { primaryKey: ['namespace', 'fill_id'] } },
  );
  pgm.addConstraint('fills', 'fills_namespace_event_id_key', { unique: ['namespace', 'event_id'] });
  pgm.createIndex('fills', ['namespace', 'order_id'], { name: 'fills_order_idx' });
  pgm.createIndex('fills', ['namespace', 'strategy_id', { name: 'filled_at', sort: 'DESC' }], {
    name: 'fills_strategy_idx',
  });
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function down(pgm) {
  pgm.dropTable('fills');
  pgm.dropTable('orders');
}
