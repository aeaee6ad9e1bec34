// The Zerodha session belongs to the account, so it is shared by both namespaces. The access
// token is stored encrypted (AES-256-GCM): ciphertext, the 12-byte IV and the 16-byte auth tag.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function up(pgm) {
  pgm.createTable('trading_sessions', {
    id: { type: 'bigserial', primaryKey: true },
    api_key: { type: 'text', notNull: true },
    user_id: { type: 'text', notNull: true },
    user_name: { type: 'text', notNull: true, default: '' },
    access_token_ciphertext: { type: 'bytea', notNull: true },
    access_token_iv: { type: 'bytea', notNull: true },
    access_token_tag: { type: 'bytea', notNull: true },
    created_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    expires_at: { type: 'timestamptz', notNull: true },
    invalidated_at: { type: 'timestamptz' },
  });
  // "The newest session of this API key that is still valid" is the one query that matters.
  pgm.createIndex('trading_sessions', ['api_key', { name: 'created_at', sort: 'DESC' }], {
    name: 'trading_sessions_valid_idx',
    where: 'invalidated_at IS NULL',
  });
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export function down(pgm) {
  pgm.dropTable('trading_sessions');
}
