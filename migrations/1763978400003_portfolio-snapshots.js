// Point-in-time portfolio state of a strategy, one row per pnl_snapshot event (amounts in paise).

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  pgm.createTable('portfolio_snapshots', {
    id: { type: 'bigserial', primaryKey: true },
    namespace: { type: 'text', notNull: true, check: "namespace IN ('paper', 'zerodha')" },
    strategy_id: { type: 'text', notNull: true },
    cash_paise: { type: 'bigint', notNull: true },
    realized_pnl_paise: { type: 'bigint', notNull: true },
    unrealized_pnl_paise: { type: 'bigint', notNull: true },
    charges_paid_paise: { type: 'bigint', notNull: true },
    positions: { type: 'jsonb', notNull: true, default: pgm.func("'[]'::jsonb") },
    as_of: { type: 'timestamptz', notNull: true },
    // The pnl_snapshot event this row came from: recording it twice is refused.
    event_id: { type: 'uuid', notNull: true, unique: true },
  });
  pgm.createIndex('portfolio_snapshots', ['namespace', 'strategy_id', { name: 'as_of', sort: 'DESC' }], {
    name: 'portfolio_snapshots_latest_idx',
  });
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function down(pgm) {
  pgm.dropTable('portfolio_snapshots');
}
