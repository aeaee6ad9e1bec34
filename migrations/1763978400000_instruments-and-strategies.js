// Reference data: the tradable instruments (Kite instrument list) and the strategy configurations
// of each broker namespace. Plain JavaScript so that the migration loads under every runtime
// (tsx, vitest, plain node); migrations are frozen history and import nothing from the codebase.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  pgm.createTable(
    'instruments',
    {
      instrument_token: { type: 'integer', primaryKey: true },
      exchange_token: { type: 'integer', notNull: true },
      tradingsymbol: { type: 'text', notNull: true },
      name: { type: 'text', notNull: true, default: '' },
      exchange: { type: 'text', notNull: true },
      segment: { type: 'text', notNull: true },
      instrument_type: { type: 'text', notNull: true },
      tick_size_paise: { type: 'integer', notNull: true, check: 'tick_size_paise > 0' },
      lot_size: { type: 'integer', notNull: true, check: 'lot_size > 0' },
      last_price_paise: { type: 'bigint', check: 'last_price_paise > 0' },
    },
  );
  pgm.addConstraint('instruments', 'instruments_exchange_tradingsymbol_key', { unique: ['exchange', 'tradingsymbol'] });

  pgm.createTable(
    'strategy_configurations',
    {
      namespace: { type: 'text', notNull: true, check: "namespace IN ('paper', 'zerodha')" },
      id: { type: 'text', notNull: true },
      name: { type: 'text', notNull: true },
      strategy_type: { type: 'text', notNull: true },
      // Kite instrument tokens the strategy trades.
      instruments: { type: 'integer[]', notNull: true, default: pgm.func("'{}'") },
      parameters: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
      risk_limits: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
      is_active: { type: 'boolean', notNull: true, default: true },
      created_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
      updated_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    },
    { constraints: { primaryKey: ['namespace', 'id'] } },
  );
  pgm.createIndex('strategy_configurations', ['namespace'], {
    name: 'strategy_configurations_active_idx',
    where: 'is_active',
  });
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function down(pgm) {
  pgm.dropTable('strategy_configurations');
  pgm.dropTable('instruments');
}
