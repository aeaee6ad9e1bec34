// The end-of-day contract note of each broker namespace and trading day (IST), computed from the
// day's fills by core/domain/trading/contract-note.ts, and its allocation to strategies. Amounts
// are integer paise. A note, once issued, is final, as a broker's contract note is: issuing the
// same date again re-sends the same note (same digest, same event id) and is refused if the fills
// now give a different one. `lines` holds the whole note (segments, scrips, strategies).

const NAMESPACE_CHECK = "namespace IN ('paper', 'zerodha')";

const chargeColumns = {
  brokerage_paise: { type: 'bigint', notNull: true },
  stt_paise: { type: 'bigint', notNull: true },
  exchange_transaction_paise: { type: 'bigint', notNull: true },
  sebi_paise: { type: 'bigint', notNull: true },
  stamp_duty_paise: { type: 'bigint', notNull: true },
  gst_paise: { type: 'bigint', notNull: true },
  total_paise: { type: 'bigint', notNull: true },
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  pgm.createTable(
    'contract_notes',
    {
      namespace: { type: 'text', notNull: true, check: NAMESPACE_CHECK },
      trading_date: { type: 'date', notNull: true },
      fills: { type: 'integer', notNull: true, check: 'fills >= 0' },
      turnover_paise: { type: 'bigint', notNull: true },
      ...chargeColumns,
      // Sum of the fills' per-fill estimates, and the note's total minus it.
      estimate_paise: { type: 'bigint', notNull: true },
      difference_paise: { type: 'bigint', notNull: true },
      lines: { type: 'jsonb', notNull: true },
      // sha256 of the note as computed: tells an identical re-issue from a changed one.
      digest: { type: 'text', notNull: true },
      // The contract_note_issued event that carries it to the portfolio manager.
      event_id: { type: 'uuid', notNull: true, unique: true },
      created_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    },
    { constraints: { primaryKey: ['namespace', 'trading_date'] } },
  );

  pgm.createTable(
    'contract_note_allocations',
    {
      namespace: { type: 'text', notNull: true },
      trading_date: { type: 'date', notNull: true },
      strategy_id: { type: 'text', notNull: true },
      turnover_paise: { type: 'bigint', notNull: true },
      charges: { type: 'jsonb', notNull: true },
      charges_paise: { type: 'bigint', notNull: true },
      estimate: { type: 'jsonb', notNull: true },
      estimate_paise: { type: 'bigint', notNull: true },
      // What the portfolio books: charges_paise - estimate_paise.
      adjustment_paise: { type: 'bigint', notNull: true },
    },
    {
      constraints: {
        primaryKey: ['namespace', 'trading_date', 'strategy_id'],
        foreignKeys: [{ columns: ['namespace', 'trading_date'], references: 'contract_notes(namespace, trading_date)', onDelete: 'CASCADE' }],
      },
    },
  );

  // Snapshots show how much of chargesPaid came from contract notes.
  pgm.addColumn('portfolio_snapshots', {
    charges_adjustment_paise: { type: 'bigint', notNull: true, default: 0 },
  });
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function down(pgm) {
  pgm.dropColumn('portfolio_snapshots', 'charges_adjustment_paise');
  pgm.dropTable('contract_note_allocations');
  pgm.dropTable('contract_notes');
}
