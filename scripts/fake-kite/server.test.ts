// The fake's HTTP surface, driven by the real kiteconnect client where it can be and by fetch for
// what the client never sends (missing fields, no version header).
import { KiteConnect } from 'kiteconnect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiteChecksum } from './checksum';
import { isAllowedRedirect } from './routes/login';
import { startFakeKite, type FakeKite } from './server';

const apiKey = 'serverkey01';
const apiSecret = 'serversecret0123';
let fake: FakeKite;

beforeAll(async () => {
  fake = await startFakeKite({ apiKey, apiSecret, port: 0, user: { userId: 'QX9876' }, now: () => new Date('2026-03-02T03:34:56Z') });
});
afterAll(() => fake.close());

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Kite-Version': '3' },
  body: new URLSearchParams(fields).toString(),
});

describe('fake Kite server', () => {
  it('serves the real kiteconnect client: session, profile, logout', async () => {
    const kite = new KiteConnect({ api_key: apiKey, root: fake.url });
    const session = await kite.generateSession(fake.issueRequestToken(), apiSecret);
    expect(session).toMatchObject({ user_id: 'QX9876', api_key: apiKey, broker: 'ZERODHA', refresh_token: '' });
    expect(fake.isAccessTokenActive(session.access_token)).toBe(true);
    expect(await kite.getProfile()).toMatchObject({ user_id: 'QX9876', broker: 'ZERODHA' });

    expect(await kite.invalidateAccessToken(session.access_token)).toBe(true);
    expect(fake.isAccessTokenActive(session.access_token)).toBe(false);
    await expect(kite.getProfile()).rejects.toMatchObject({ status: 'error', error_type: 'TokenException', data: null });
  });

  it("answers the token exchange in Kite's shape, with login_time in IST", async () => {
    const requestToken = fake.issueRequestToken();
    const response = await fetch(
      `${fake.url}/session/token`,
      form({ api_key: apiKey, request_token: requestToken, checksum: kiteChecksum(apiKey, requestToken, apiSecret) }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; data: Record<string, unknown> };
    expect(body.status).toBe('success');
    expect(body.data.login_time).toBe('2026-03-02 09:04:56');
    for (const field of ['user_type', 'email', 'user_name', 'user_shortname', 'exchanges', 'products', 'order_types', 'avatar_url', 'public_token', 'enctoken', 'meta']) {
      expect(body.data).toHaveProperty(field);
    }
    expect(body.data.access_token).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it('refuses a missing field with 400 InputException and a bad request token with 403 TokenException', async () => {
    const missing = await fetch(`${fake.url}/session/token`, form({ api_key: apiKey, request_token: 'abc' }));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ status: 'error', message: 'Missing or empty field `checksum`.', data: null, error_type: 'InputException' });

    const unknown = await fetch(`${fake.url}/session/token`, form({ api_key: apiKey, request_token: 'nosuchtoken', checksum: kiteChecksum(apiKey, 'nosuchtoken', apiSecret) }));
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toMatchObject({ status: 'error', error_type: 'TokenException' });
  });

  it('requires the version header and the token authorization on the profile', async () => {
    const noVersion = await fetch(`${fake.url}/user/profile`);
    expect(noVersion.status).toBe(400);
    const noToken = await fetch(`${fake.url}/user/profile`, { headers: { 'X-Kite-Version': '3' } });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toMatchObject({ error_type: 'TokenException' });
  });

  it('logs in on the login page and redirects with a request token that works', async () => {
    const response = await fetch(
      `${fake.loginUrl}?v=3&api_key=${apiKey}&redirect=${encodeURIComponent('http://127.0.0.1:9/callback?x=1')}&redirect_params=${encodeURIComponent('state=abc')}`,
      { redirect: 'manual' },
    );
    expect(response.status).toBe(302);
    const target = new URL(response.headers.get('location')!);
    expect(target.pathname).toBe('/callback');
    expect(Object.fromEntries(target.searchParams)).toMatchObject({ x: '1', state: 'abc', action: 'login', status: 'success' });
    const kite = new KiteConnect({ api_key: apiKey, root: fake.url });
    await expect(kite.generateSession(target.searchParams.get('request_token')!, apiSecret)).resolves.toMatchObject({ user_id: 'QX9876' });
  });

  it('redirects only to loopback or the registered redirect URL, never to another host', async () => {
    const login = (redirect: string) =>
      fetch(`${fake.loginUrl}?v=3&api_key=${apiKey}&redirect=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
    for (const elsewhere of ['https://attacker.example/steal', 'http://127.0.0.1.attacker.example/cb', 'http://[::ffff:7f00:1]@evil.example/']) {
      const refused = await login(elsewhere);
      expect(refused.status, elsewhere).toBe(400);
      expect(refused.headers.get('location'), elsewhere).toBeNull();
    }
    for (const loopback of ['http://localhost:8000/api/v1/auth/kite/callback', 'http://[::1]:8000/cb']) {
      expect((await login(loopback)).status, loopback).toBe(302);
    }
    const registered = 'https://trader.example/api/v1/auth/kite/callback';
    expect(isAllowedRedirect(new URL(`${registered}?x=1`), registered)).toBe(true);
    expect(isAllowedRedirect(new URL('https://trader.example/other'), registered)).toBe(false);
    expect(isAllowedRedirect(new URL('https://attacker.example/api/v1/auth/kite/callback'), registered)).toBe(false);
  });

  it('shows the request token without a redirect and refuses an unknown api_key', async () => {
    const page = await fetch(`${fake.loginUrl}?v=3&api_key=${apiKey}`);
    expect(page.status).toBe(200);
    const token = /id="request-token">([A-Za-z0-9]+)</.exec(await page.text())?.[1];
    expect(token).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await fetch(`${fake.loginUrl}?v=3&api_key=someoneelse`)).status).toBe(400);
  });

  it('counts calls to Kite routes but not to its own controls', async () => {
    const before = fake.callCount('GET /user/profile');
    await fetch(`${fake.url}/user/profile`, { headers: { 'X-Kite-Version': '3' } });
    const controls = await fetch(`${fake.url}/_fake/calls`);
    const { calls } = (await controls.json()) as { calls: Record<string, number> };
    expect(calls['GET /user/profile']).toBe(before + 1);
    expect(Object.keys(calls).some((route) => route.includes('/_fake'))).toBe(false);

    const issued = (await (await fetch(`${fake.url}/_fake/request-tokens`, { method: 'POST' })).json()) as { request_token: string };
    expect(issued.request_token).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it('expires every live access token through its control', async () => {
    const kite = new KiteConnect({ api_key: apiKey, root: fake.url });
    const session = await kite.generateSession(fake.issueRequestToken(), apiSecret);
    const expired = (await (await fetch(`${fake.url}/_fake/access-tokens/expire`, { method: 'POST' })).json()) as { expired: number };
    expect(expired.expired).toBeGreaterThanOrEqual(1);
    expect(fake.isAccessTokenActive(session.access_token)).toBe(false);
    await expect(kite.getProfile()).rejects.toMatchObject({ error_type: 'TokenException' });
  });
});
