// The venue's own id of the order a fill belongs to (Kite's order_id), so a live fill can be
// matched with Zerodha's order book and contract note. Null for paper fills and for positions
// adopted at reconciliation, which no order at the venue produced.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  pgm.addColumns('fills', { broker_order_id: { type: 'text' } });
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function down(pgm) {
  pgm.dropColumns('fills', ['broker_order_id']);
}
