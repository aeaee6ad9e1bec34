// The Zerodha login end to end: the real kiteconnect client against the fake Kite server, the
// session stored encrypted in a throwaway Postgres database migrated like production.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../core/config/load';
import { kiteSessionExpiry } from '../core/domain/market-hours';
import { configureLogging } from '../core/logging';
import { authenticateWithRequestToken, checkStoredSession, logout, type AuthDeps } from '../core/broker/auth';
import { fetchProfile, KiteError } from '../core/broker/kite-client';
import { loadValidSession } from '../core/broker/session-store';
import { migrateDatabase } from '../core/postgres/migrate';
import { startFakeKite, type FakeKite } from '../scripts/fake-kite/server';
import { dropDatabase } from './support/stack';

const ADMIN_URL = 'postgres://alpha_panda:alpha_panda@127.0.0.1:5432/alpha_panda';
const database = `alpha_panda_kite_${randomBytes(6).toString('hex')}`;
const apiKey = 'kiteauthkey01';
const apiSecret = 'kiteauthsecret0123456789';
const userId = 'AP4321';

// One clock for the fake and the platform, so expiry is tested without waiting.
const clock = { now: new Date('2026-03-02T10:15:00+05:30') };
const now = () => clock.now;

let admin: pg.Client;
let pool: pg.Pool;
let fake: FakeKite;
let config: Config;
let deps: AuthDeps;

function configFor(secret: string): Config {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return parseConfig({
    ZERODHA__ENABLED: 'true',
    ZERODHA__API_KEY: apiKey,
    ZERODHA__API_SECRET: secret,
    ZERODHA__API_ROOT: fake.url,
    ZERODHA__LOGIN_ROOT: fake.loginUrl,
    SECURITY__ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    DATABASE__POSTGRES_URL: url.toString(),
  });
}

interface SessionRow {
  id: string;
  user_id: string;
  access_token_ciphertext: Buffer;
  access_token_iv: Buffer;
  access_token_tag: Buffer;
  expires_at: Date;
  invalidated_at: Date | null;
}

async function rows(): Promise<SessionRow[]> {
  return (await pool.query<SessionRow>(`select id::text as id, user_id, access_token_ciphertext, access_token_iv, access_token_tag, expires_at, invalidated_at
       from trading_sessions order by trading_sessions.id`)).rows;
}

beforeAll(async () => {
  configureLogging({ level: 'silent', console: false });
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${database}`);
  fake = await startFakeKite({ port: 0, apiKey, apiSecret, user: { userId, userName: 'Asha Panda' }, now });
  config = configFor(apiSecret);
  pool = new pg.Pool({ connectionString: config.database.postgresUrl, max: 2 });
  await migrateDatabase(config.database.postgresUrl);
  deps = { config, pool, now };
});

afterAll(async () => {
  await pool?.end();
  await fake?.close();
  await admin?.end();
  await dropDatabase(ADMIN_URL, database);
});

beforeEach(async () => {
  clock.now = new Date('2026-03-02T10:15:00+05:30');
  await pool.query('truncate trading_sessions');
});

describe('Zerodha authentication against the fake Kite', () => {
  it('stores an encrypted session for a good request token', async () => {
    const result = await authenticateWithRequestToken(deps, fake.issueRequestToken());
    expect(result).toEqual({ ok: true, userId, userName: 'Asha Panda', expiresAt: '2026-03-03T06:00:00.000+05:30' });

    const [row, ...others] = await rows();
    expect(others).toHaveLength(0);
    const session = await loadValidSession(pool, config, now());
    expect(session).not.toBeNull();
    const accessToken = session!.accessToken;
    expect(fake.state.issuedAccessTokens().at(-1)).toBe(accessToken);
    expect(fake.isAccessTokenActive(accessToken)).toBe(true);

    expect(row!.access_token_ciphertext.includes(Buffer.from(accessToken))).toBe(false);
    expect(row!.access_token_iv).toHaveLength(12);
    expect(row!.access_token_tag).toHaveLength(16);
    expect(row!.expires_at.getTime()).toBe(kiteSessionExpiry(now()).getTime());
    expect(JSON.stringify(result)).not.toContain(accessToken);
    expect(JSON.stringify(result)).not.toContain(apiSecret);

    expect(await fetchProfile(config, accessToken)).toMatchObject({ userId, broker: 'ZERODHA' });
    expect(await checkStoredSession(deps)).toEqual({ valid: true, userId, userName: 'Asha Panda', expiresAt: '2026-03-03T06:00:00.000+05:30' });
  });

  it('stores the session of a user whose profile has no name', async () => {
    const nameless = await startFakeKite({ port: 0, apiKey, apiSecret, user: { userId: 'AP0007', userName: undefined }, now });
    try {
      const namelessConfig = parseConfig({
        ZERODHA__API_KEY: apiKey,
        ZERODHA__API_SECRET: apiSecret,
        ZERODHA__API_ROOT: nameless.url,
        ZERODHA__LOGIN_ROOT: nameless.loginUrl,
        SECURITY__ENCRYPTION_KEY: config.security.encryptionKey,
        DATABASE__POSTGRES_URL: config.database.postgresUrl,
      });
      const namelessDeps: AuthDeps = { ...deps, config: namelessConfig };
      const result = await authenticateWithRequestToken(namelessDeps, nameless.issueRequestToken());
      expect(result).toEqual({ ok: true, userId: 'AP0007', userName: null, expiresAt: '2026-03-03T06:00:00.000+05:30' });
      expect(await loadValidSession(pool, namelessConfig, now())).toMatchObject({ userId: 'AP0007', userName: null });
      expect(await checkStoredSession(namelessDeps)).toMatchObject({ valid: true, userId: 'AP0007', userName: null });
    } finally {
      await nameless.close();
    }
  });

  it('refuses a wrong request token with a reason and stores nothing', async () => {
    const result = await authenticateWithRequestToken(deps, 'NotARealToken0123456789abcdefXYZ');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('Zerodha rejected the request token: Token is invalid or has expired.');
    expect(result.reason).toContain(`Log in again at ${fake.loginUrl}?v=3&api_key=${apiKey}`);
    expect(result.reason).not.toContain(apiSecret);
    expect(await rows()).toHaveLength(0);
  });

  it('accepts a request token only once', async () => {
    const requestToken = fake.issueRequestToken();
    expect((await authenticateWithRequestToken(deps, requestToken)).ok).toBe(true);
    const second = await authenticateWithRequestToken(deps, requestToken);
    expect(second).toMatchObject({ ok: false, reason: expect.stringContaining('Token is invalid or has expired') });
    expect(await rows()).toHaveLength(1);
  });

  it('finds the stored session invalid once Kite expires access tokens, and marks it', async () => {
    expect((await authenticateWithRequestToken(deps, fake.issueRequestToken())).ok).toBe(true);
    const { accessToken } = (await loadValidSession(pool, config, now()))!;
    expect(fake.expireAccessTokens()).toBeGreaterThanOrEqual(1);
    expect(fake.isAccessTokenActive(accessToken)).toBe(false);

    const check = await checkStoredSession(deps);
    expect(check).toMatchObject({ valid: false, reason: expect.stringContaining('Zerodha no longer accepts the stored session') });
    const [row] = await rows();
    expect(row!.invalidated_at).not.toBeNull();
    expect(await loadValidSession(pool, config, now())).toBeNull();
    expect(await checkStoredSession(deps)).toMatchObject({ valid: false, reason: expect.stringContaining('no unexpired Zerodha session') });
  });

  it('stops offering the session after 06:00 IST without asking Kite', async () => {
    expect((await authenticateWithRequestToken(deps, fake.issueRequestToken())).ok).toBe(true);
    const profileCalls = fake.callCount('GET /user/profile');
    clock.now = new Date('2026-03-03T06:00:00+05:30');
    expect(await loadValidSession(pool, config, now())).toBeNull();
    expect(await checkStoredSession(deps)).toMatchObject({ valid: false });
    expect(fake.callCount('GET /user/profile')).toBe(profileCalls);
  });

  it('logs out: Kite drops the token and the row is invalidated', async () => {
    expect((await authenticateWithRequestToken(deps, fake.issueRequestToken())).ok).toBe(true);
    const { accessToken } = (await loadValidSession(pool, config, now()))!;

    expect(await logout(deps)).toEqual({ loggedOut: true, userId });
    expect(fake.isAccessTokenActive(accessToken)).toBe(false);
    const refused = await fetchProfile(config, accessToken).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KiteError);
    expect(refused).toMatchObject({ kind: 'token' });
    expect((refused as KiteError).message).not.toContain(accessToken);
    expect((await rows())[0]!.invalidated_at).not.toBeNull();
    expect(await logout(deps)).toMatchObject({ loggedOut: false });
  });

  it('is refused when the API secret is wrong (bad checksum), storing nothing', async () => {
    const wrongSecret = 'notthesecret9876543210';
    const wrongDeps: AuthDeps = { ...deps, config: configFor(wrongSecret) };
    const exchangesBefore = fake.callCount('POST /session/token');
    const issuedBefore = fake.state.issuedAccessTokens().length;

    const result = await authenticateWithRequestToken(wrongDeps, fake.issueRequestToken());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('Zerodha rejected the request token');
    expect(result.reason).toContain('ZERODHA__API_SECRET');
    expect(result.reason).not.toContain(wrongSecret);
    expect(fake.callCount('POST /session/token')).toBe(exchangesBefore + 1);
    expect(fake.state.issuedAccessTokens()).toHaveLength(issuedBefore);
    expect(await rows()).toHaveLength(0);
  });

  it('reports an unreachable Kite as a reason, not an exception', async () => {
    const unreachable = parseConfig({
      ZERODHA__API_KEY: apiKey,
      ZERODHA__API_SECRET: apiSecret,
      ZERODHA__API_ROOT: 'http://127.0.0.1:1',
      SECURITY__ENCRYPTION_KEY: config.security.encryptionKey,
    });
    const result = await authenticateWithRequestToken({ ...deps, config: unreachable }, fake.issueRequestToken());
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('Could not reach Zerodha at http://127.0.0.1:1') });
    expect(await rows()).toHaveLength(0);
  });
});
