// The instrument master as Kite publishes it (`alpha-panda instruments sync`): expiry, strike and
// the tick size as an exact decimal, since currency ticks are fractions of a paisa (0.0025
// rupee). tick_size_paise stays for the instruments whose tick is a whole number of paise and is
// null for the others; indices carry a zero tick and lot size on Kite's list, so lot_size may be 0.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  pgm.addColumns('instruments', {
    expiry: { type: 'date' },
    strike: { type: 'numeric', notNull: true, default: 0 },
    // Null on rows written before the sync existed (the seed); readers fall back to tick_size_paise.
    tick_size: { type: 'numeric', check: 'tick_size >= 0' },
    synced_at: { type: 'timestamptz' },
  });
  pgm.sql('update instruments set tick_size = tick_size_paise::numeric / 100 where tick_size_paise is not null');
  pgm.alterColumn('instruments', 'tick_size_paise', { notNull: false });
  pgm.dropConstraint('instruments', 'instruments_lot_size_check');
  pgm.addConstraint('instruments', 'instruments_lot_size_check', { check: 'lot_size >= 0' });
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function down(pgm) {
  pgm.dropConstraint('instruments', 'instruments_lot_size_check');
  pgm.addConstraint('instruments', 'instruments_lot_size_check', { check: 'lot_size > 0' });
  pgm.alterColumn('instruments', 'tick_size_paise', { notNull: true });
  pgm.dropColumns('instruments', ['expiry', 'strike', 'tick_size', 'synced_at']);
}
