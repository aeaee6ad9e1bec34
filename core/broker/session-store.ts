// The Zerodha session in Postgres (table trading_sessions): the access token is stored only
// encrypted (./session-crypto), with the instant Kite will stop accepting it.
//
// This module alone decides whether the stored session is usable: a session is invalid once it
// passes its 06:00 IST expiry (Kite's daily one, see kiteSessionExpiry) or once anything that
// talks to Kite with it (an order call, the ticker, a health check) reports a TokenException
// through markSessionRefused. Every service reads the session through loadValidSession, so one
// refusal pauses them all, and a new login (storeSession) resumes them all.
import type { Pool } from 'pg';
import type { Config } from '../config/load';
import { kiteSessionExpiry } from '../domain/market-hours';
import { decryptSecret, encryptSecret } from './session-crypto';

/** A pool or a checked-out client. */
export type Queryable = Pick<Pool, 'query'>;

export interface NewSession {
  apiKey: string;
  userId: string;
  userName: string | null;
  accessToken: string;
  /** When Kite issued the token (the login); the session ends at the following 06:00 IST. */
  issuedAt: Date;
}

export interface StoredSession {
  /** trading_sessions.id (bigserial, kept as text so it never loses precision). */
  id: string;
  accessToken: string;
  userId: string;
  userName: string | null;
  expiresAt: Date;
}

interface SessionRow {
  id: string;
  user_id: string;
  user_name: string | null;
  access_token_ciphertext: Buffer;
  access_token_iv: Buffer;
  access_token_tag: Buffer;
  expires_at: Date;
}

/** Binds a ciphertext to its owner, so a row edited to name another user fails to decrypt. */
function associatedData(apiKey: string, userId: string): string {
  return `trading_sessions:${apiKey}:${userId}`;
}

export async function storeSession(pool: Queryable, config: Config, session: NewSession): Promise<{ id: string; expiresAt: Date }> {
  const sealed = encryptSecret(config.security.encryptionKey, session.accessToken, associatedData(session.apiKey, session.userId));
  const expiresAt = kiteSessionExpiry(session.issuedAt);
  const { rows } = await pool.query<{ id: string }>(
    `insert into trading_sessions
       (api_key, user_id, user_name, access_token_ciphertext, access_token_iv, access_token_tag, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7)
     returning id`,
    // The column is NOT NULL with '' for "Kite gave no name"; null stays a TypeScript-side notion.
    [session.apiKey, session.userId, session.userName ?? '', sealed.ciphertext, sealed.iv, sealed.tag, expiresAt],
  );
  return { id: rows[0]!.id, expiresAt };
}

/**
 * The newest session for the configured API key that is neither invalidated nor expired at `now`,
 * decrypted; null when there is none. Throws SessionDecryptError when the row cannot be decrypted.
 */
export async function loadValidSession(pool: Queryable, config: Config, now: Date): Promise<StoredSession | null> {
  const apiKey = config.zerodha.apiKey;
  const { rows } = await pool.query<SessionRow>(
    `select id::text as id, user_id, user_name, access_token_ciphertext, access_token_iv, access_token_tag, expires_at
       from trading_sessions
      where api_key = $1 and invalidated_at is null and expires_at > $2
      order by created_at desc, id desc
      limit 1`,
    [apiKey, now],
  );
  const row = rows[0];
  if (!row) return null;
  const accessToken = decryptSecret(
    config.security.encryptionKey,
    { ciphertext: row.access_token_ciphertext, iv: row.access_token_iv, tag: row.access_token_tag },
    associatedData(apiKey, row.user_id),
  );
  return { id: row.id, accessToken, userId: row.user_id, userName: row.user_name || null, expiresAt: row.expires_at };
}

/**
 * Kite refused this session (a TokenException on a call or a 403 on the ticker's handshake): marks
 * it invalid for every service. Returns false when it was already invalidated or is absent.
 */
export async function markSessionRefused(pool: Queryable, id: string, now: Date = new Date()): Promise<boolean> {
  return invalidateSession(pool, id, now);
}

/** Marks a session as no longer usable; returns false when it was already invalidated or absent. */
export async function invalidateSession(pool: Queryable, id: string, now: Date = new Date()): Promise<boolean> {
  const { rowCount } = await pool.query(
    'update trading_sessions set invalidated_at = $2 where id = $1 and invalidated_at is null',
    [id, now],
  );
  return (rowCount ?? 0) > 0;
}

export interface SessionValidity {
  userId: string;
  expiresAt: Date;
}

/**
 * Whether a usable session is stored for the API key, and until when: the newest one neither
 * invalidated nor expired at `now`, read without decrypting it (for status and metrics, which must
 * never hold the token). Null when there is none.
 */
export async function readSessionValidity(pool: Queryable, apiKey: string, now: Date): Promise<SessionValidity | null> {
  const { rows } = await pool.query<{ user_id: string; expires_at: Date }>(
    `select user_id, expires_at from trading_sessions
      where api_key = $1 and invalidated_at is null and expires_at > $2
      order by created_at desc, id desc limit 1`,
    [apiKey, now],
  );
  const row = rows[0];
  return row ? { userId: row.user_id, expiresAt: row.expires_at } : null;
}
