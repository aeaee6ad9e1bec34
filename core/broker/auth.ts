// The Zerodha login as the orchestration sees it: exchange a request token and store the session,
// check the stored session, log out, check the credentials. User errors (a wrong or spent token,
// an expired session) come back as results with a reason to show; only infrastructure failures
// throw. No result ever holds the access token or the API secret.
import type { Config } from '../config/load';
import { formatIst } from '../domain/market-hours';
import { getLogger } from '../logging';
import type { KiteCallMeter } from './kite-calls';
import { exchangeRequestToken, fetchProfile, invalidateAccessToken, KiteError, loginUrl, toKiteError } from './kite-client';
import { SessionDecryptError } from './session-crypto';
import { invalidateSession, loadValidSession, markSessionRefused, storeSession, type Queryable } from './session-store';

export { loginUrl } from './kite-client';

export interface AuthDeps {
  config: Config;
  pool: Queryable;
  /** The clock; defaults to the system's. */
  now?: () => Date;
  /** Counts the calls to Kite (./kite-calls). */
  kiteCalls?: KiteCallMeter;
}

/** `expiresAt` is ISO-8601 in IST, e.g. 2026-11-25T06:00:00.000+05:30. */
export type AuthenticationResult =
  | { ok: true; userId: string; userName: string | null; expiresAt: string }
  | { ok: false; reason: string };

export type StoredSessionCheck =
  | { valid: true; userId: string; userName: string | null; expiresAt: string }
  | { valid: false; reason: string };

export type LogoutResult = { loggedOut: true; userId: string } | { loggedOut: false; reason: string };

const log = () => getLogger('application');

// Kite's keys and secrets are letters and digits; anything with spaces or quotes is a paste error.
const WELL_FORMED_KEY = /^[A-Za-z0-9_-]{6,64}$/;
const WELL_FORMED_SECRET = /^[A-Za-z0-9_-]{8,128}$/;

/**
 * Whether the API key, API secret and encryption key are present and well formed, without any
 * network call. Returns the problem to show, or undefined when all is well. Never echoes values.
 */
export function checkCredentials(config: Config): string | undefined {
  const { apiKey, apiSecret } = config.zerodha;
  if (apiKey === '') return 'ZERODHA__API_KEY is not set: copy the API key of your app from the Kite developer console';
  if (!WELL_FORMED_KEY.test(apiKey)) {
    return 'ZERODHA__API_KEY is malformed: expected 6-64 letters and digits, without spaces or quotes';
  }
  if (apiSecret === '') return 'ZERODHA__API_SECRET is not set: copy the API secret of your app from the Kite developer console';
  if (!WELL_FORMED_SECRET.test(apiSecret)) {
    return 'ZERODHA__API_SECRET is malformed: expected 8-128 letters and digits, without spaces or quotes';
  }
  if (!/^[0-9a-fA-F]{64}$/.test(config.security.encryptionKey)) {
    return 'SECURITY__ENCRYPTION_KEY is not set: it encrypts the Zerodha session; generate one with `openssl rand -hex 32`';
  }
  return undefined;
}

/**
 * The request token from what a user pasted: the token itself, or the whole redirect URL Kite
 * sent the browser to (`...?request_token=...&action=login&status=success`).
 */
export function normalizeRequestToken(input: string): string | undefined {
  const trimmed = input.trim();
  const fromUrl = /(?:^|[?&])request_token=([^&#\s]*)/.exec(trimmed);
  let token = trimmed;
  if (fromUrl) {
    try {
      token = decodeURIComponent(fromUrl[1]!);
    } catch {
      return undefined; // malformed percent-encoding
    }
  }
  return /^[A-Za-z0-9]{1,128}$/.test(token) ? token : undefined;
}

export async function authenticateWithRequestToken(deps: AuthDeps, requestToken: string): Promise<AuthenticationResult> {
  const { config, pool } = deps;
  const now = deps.now ?? (() => new Date());
  const problem = checkCredentials(config);
  if (problem) return { ok: false, reason: problem };
  const loginAgain = `log in again at ${loginUrl(config)} and send the new request_token.`;
  const token = normalizeRequestToken(requestToken);
  if (!token) {
    return { ok: false, reason: `That is not a request_token (expected letters and digits). ${capitalize(loginAgain)}` };
  }

  let session;
  try {
    session = await exchangeRequestToken(config, token, deps.kiteCalls);
  } catch (error) {
    const kiteError = toKiteError(error, [config.zerodha.apiSecret, token]);
    log().warn({ kind: kiteError.kind, errorType: kiteError.errorType }, 'Zerodha login failed');
    return { ok: false, reason: exchangeFailureReason(config, kiteError, loginAgain) };
  }

  let stored;
  try {
    stored = await storeSession(pool, config, {
      apiKey: config.zerodha.apiKey,
      userId: session.userId,
      userName: session.userName,
      accessToken: session.accessToken,
      issuedAt: session.loginTime ?? now(),
    });
  } catch (error) {
    // The request token is spent by now, so a retry could only fail: say what went wrong instead.
    const message = toKiteError(error, [config.zerodha.apiSecret, session.accessToken, token]).message;
    log().error({ userId: session.userId, error: message }, 'Zerodha session could not be stored');
    return {
      ok: false,
      reason: `Logged in to Zerodha as ${session.userId}, but the session could not be saved to Postgres: ${message}. Fix the database, then ${loginAgain}`,
    };
  }
  log().info({ userId: session.userId, expiresAt: formatIst(stored.expiresAt) }, 'Zerodha session stored');
  return { ok: true, userId: session.userId, userName: session.userName, expiresAt: formatIst(stored.expiresAt) };
}

function exchangeFailureReason(config: Config, error: KiteError, loginAgain: string): string {
  switch (error.kind) {
    case 'token': {
      const credentialsHint = /checksum|api_key/i.test(error.message)
        ? ' Check that ZERODHA__API_KEY and ZERODHA__API_SECRET belong to the same app on the Kite developer console.'
        : '';
      return `Zerodha rejected the request token: ${error.message}${credentialsHint} ${capitalize(loginAgain)}`;
    }
    case 'input':
      return `Zerodha refused the login request: ${error.message} ${capitalize(loginAgain)}`;
    case 'network':
      return (
        `Could not reach Zerodha at ${config.zerodha.apiRoot}: ${error.message}. ` +
        `Check the network and ZERODHA__API_ROOT; a request_token works only once and for a few minutes, so if this one was spent or is old, ${loginAgain}`
      );
    case 'rate-limited':
      return `Zerodha is limiting this app's requests (${error.message}); wait a few seconds, then ${loginAgain}`;
    case 'order':
    case 'other':
      return `Zerodha could not complete the login: ${error.message} ${capitalize(loginAgain)}`;
  }
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Whether the stored session still works: it must exist, decrypt, not be past 06:00 IST, and Kite
 * must still accept it. A session Kite refuses is marked invalidated so it is not tried again.
 */
export async function checkStoredSession(deps: AuthDeps): Promise<StoredSessionCheck> {
  const { config, pool } = deps;
  const now = deps.now ?? (() => new Date());
  const problem = checkCredentials(config);
  if (problem) return { valid: false, reason: problem };

  let session;
  try {
    session = await loadValidSession(pool, config, now());
  } catch (error) {
    if (error instanceof SessionDecryptError) return { valid: false, reason: error.message };
    throw error;
  }
  if (!session) {
    return {
      valid: false,
      reason: `no unexpired Zerodha session is stored for API key ${config.zerodha.apiKey}; log in at ${loginUrl(config)}`,
    };
  }

  try {
    const profile = await fetchProfile(config, session.accessToken, deps.kiteCalls);
    if (profile.userId !== session.userId) {
      await invalidateSession(pool, session.id, now());
      return {
        valid: false,
        reason: `the stored session belongs to ${profile.userId}, not ${session.userId}; it was marked invalid. Log in again at ${loginUrl(config)}`,
      };
    }
  } catch (error) {
    const kiteError = toKiteError(error, [config.zerodha.apiSecret, session.accessToken]);
    if (kiteError.kind === 'token') {
      await markSessionRefused(pool, session.id, now());
      log().warn({ userId: session.userId }, 'Zerodha no longer accepts the stored session; marked invalid');
      return {
        valid: false,
        reason: `Zerodha no longer accepts the stored session (${kiteError.message}); it was marked invalid. Log in again at ${loginUrl(config)}`,
      };
    }
    if (kiteError.kind === 'network') {
      return { valid: false, reason: `could not reach Zerodha at ${config.zerodha.apiRoot} to verify the stored session: ${kiteError.message}` };
    }
    return { valid: false, reason: `Zerodha could not verify the stored session: ${kiteError.message}` };
  }
  return { valid: true, userId: session.userId, userName: session.userName, expiresAt: formatIst(session.expiresAt) };
}

/** Ends the stored session at Kite and marks it invalidated here. */
export async function logout(deps: AuthDeps): Promise<LogoutResult> {
  const { config, pool } = deps;
  const now = deps.now ?? (() => new Date());
  const problem = checkCredentials(config);
  if (problem) return { loggedOut: false, reason: problem };
  let session;
  try {
    session = await loadValidSession(pool, config, now());
  } catch (error) {
    if (error instanceof SessionDecryptError) return { loggedOut: false, reason: error.message };
    throw error;
  }
  if (!session) return { loggedOut: false, reason: 'no unexpired Zerodha session is stored, so there is nothing to log out' };

  try {
    await invalidateAccessToken(config, session.accessToken, deps.kiteCalls);
  } catch (error) {
    const kiteError = toKiteError(error, [config.zerodha.apiSecret, session.accessToken]);
    // A token Kite already refuses is as logged out as it gets; anything else may have left it alive.
    if (kiteError.kind !== 'token') {
      return { loggedOut: false, reason: `Zerodha did not confirm the logout: ${kiteError.message}. Try again.` };
    }
  }
  await invalidateSession(pool, session.id, now());
  log().info({ userId: session.userId }, 'Zerodha session logged out');
  return { loggedOut: true, userId: session.userId };
}
