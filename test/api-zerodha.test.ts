// The Zerodha login through the HTTP API, against the fake Kite and real workflows: the login URL
// and the waiting status, a wrong or malformed request_token refused with the reason while the
// namespace keeps waiting, the `alpha-panda auth` command's refusal, and Kite's redirect to the
// callback (no bearer token) unblocking both waiting namespaces with one login. No answer ever
// holds the API secret, the API token, a request_token or the stored access token.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatus, startNamespace } from '../api/operations';
import { loadValidSession } from '../core/broker/session-store';
import type { FakeKite } from '../scripts/fake-kite/server';
import { freePort, rawRequest, startTestApi, type ApiCaller, type TestApi } from './support/api';
import type { TestApp } from './support/app';
import { createZerodhaTestApp, waitForPhase, type ZerodhaTestApp } from './support/kite';

const CLI = new URL('../bin/alpha-panda.mjs', import.meta.url).pathname;
const API_KEY = 'apitestkey0001';
const API_SECRET = 'apitestsecret0123456789';
const EXCHANGE_ROUTE = 'POST /session/token';
const TOKEN = randomBytes(32).toString('base64url');

/** Runs the CLI as a user would, pointed at the test app. */
function runCli(app: TestApp, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...app.env, LOG_DIR: mkdtempSync(join(tmpdir(), 'alpha-panda-cli-')), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('HTTP API while Zerodha login waits', () => {
  let app: ZerodhaTestApp;
  let fake: FakeKite;
  let api: TestApi;
  let call: ApiCaller;
  const requestTokens: string[] = [];
  const rawBodies: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    app = await createZerodhaTestApp({
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      fake: { redirectUrl: `http://127.0.0.1:${port}/api/v1/auth/callback` },
      env: { API__TOKEN: TOKEN, API__PORT: String(port), API__RATE_LIMIT_PER_MINUTE: '100000' },
      activateStrategy: true,
    });
    fake = app.fake;
    await app.startWorker();
    await startNamespace(app.temporal.client, 'zerodha');
    await waitForPhase(app.temporal.client, 'zerodha', 'awaiting-auth');
    api = await startTestApi(app, TOKEN, { listen: port });
    call = api.call;
  });
  afterAll(async () => {
    await api?.close();
    await app?.close();
  });

  it('gives the login URL, the waiting status and the session state, without secrets', async () => {
    const expectedUrl = `${fake.loginUrl}?v=3&api_key=${API_KEY}`;
    const login = await call({ method: 'GET', url: '/api/v1/auth/login-url' });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toEqual({ loginUrl: expectedUrl });

    const status = await call({ method: 'GET', url: '/api/v1/namespaces/zerodha/status' });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ namespace: 'zerodha', phase: 'awaiting-auth', loginUrl: expectedUrl, supervisors: [] });

    const auth = await call({ method: 'GET', url: '/api/v1/auth/status' });
    expect(auth.json()).toEqual({
      zerodhaEnabled: true,
      namespaces: [
        expect.objectContaining({ namespace: 'paper', phase: null, sessionValid: false, expiresInSeconds: null }),
        expect.objectContaining({ namespace: 'zerodha', phase: 'awaiting-auth', sessionValid: false, authDeadline: expect.any(String) }),
      ],
    });
  });

  it('answers 422 token_rejected with the reason for a wrong token, and keeps waiting', async () => {
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const response = await call({ method: 'POST', url: '/api/v1/auth/request-token', payload: { request_token: 'NeverIssuedToken0123456789abcdef' } });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      error: { code: 'token_rejected', message: expect.stringContaining('zerodha: Zerodha rejected the request token: Token is invalid or has expired.') },
    });
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore + 1);
    const status = await readStatus(app.temporal.client, 'zerodha');
    expect(status.phase).toBe('awaiting-auth');
    expect(response.json().error.message).toContain(status.authError);
  });

  it('refuses a malformed token before it reaches Kite', async () => {
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const response = await call({ method: 'POST', url: '/api/v1/auth/request-token', payload: { request_token: 'not a token!' } });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'token_rejected', message: expect.stringMatching(/^zerodha: malformed request_token/) });
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore);
  });

  it('`alpha-panda auth` prints the refusal and exits 1 for a wrong token', async () => {
    const { code, stdout, stderr } = await runCli(app, ['auth', '--namespace', 'zerodha', '--request-token', 'WRONG123']);
    expect(stderr).toMatch(/^Rejected: Zerodha rejected the request token: Token is invalid or has expired\./m);
    expect(stdout).not.toMatch(/Accepted/);
    expect(code).toBe(1);
    expect(`${stdout}${stderr}`).not.toContain(API_SECRET);
    expect((await readStatus(app.temporal.client, 'zerodha')).phase).toBe('awaiting-auth');
  });

  it('shows a page, without calling Kite, when Kite redirects without a completed login', async () => {
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const response = await call({ method: 'GET', url: '/api/v1/auth/callback?action=login&status=cancelled', token: null });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('Login not completed');
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore);
  });

  it("Kite's redirect to the callback unblocks both waiting namespaces with one login", async () => {
    await startNamespace(app.temporal.client, 'paper');
    await waitForPhase(app.temporal.client, 'paper', 'awaiting-auth');
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);

    // The browser: Kite's login page redirects to the registered URL, which is our callback.
    const login = await fetch(`${fake.loginUrl}?v=3&api_key=${API_KEY}`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const callback = new URL(login.headers.get('location')!);
    expect(callback.pathname).toBe('/api/v1/auth/callback');
    requestTokens.push(callback.searchParams.get('request_token')!);
    const page = await rawRequest(callback.toString());
    rawBodies.push(page.body);
    expect(page.status, page.body).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Logged in to Zerodha');
    expect(page.body).toMatch(/paper: accepted/);
    expect(page.body).toMatch(/zerodha: accepted/);
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore + 1);

    await waitForPhase(app.temporal.client, 'zerodha', 'running');
    await waitForPhase(app.temporal.client, 'paper', 'running');
    const auth = (await call({ method: 'GET', url: '/api/v1/auth/status' })).json();
    for (const namespace of auth.namespaces) {
      expect(namespace).toMatchObject({ phase: 'running', sessionValid: true, userId: expect.any(String), expiresAt: expect.stringMatching(/T06:00:00\.000\+05:30$/) });
      expect(namespace.expiresInSeconds).toBeGreaterThan(0);
    }

    const again = await call({ method: 'POST', url: '/api/v1/auth/request-token', payload: { request_token: fake.issueRequestToken() } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('not_waiting');
    const late = await call({ method: 'GET', url: `/api/v1/auth/callback?request_token=${fake.issueRequestToken()}&status=success`, token: null });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('no namespace is waiting');
  });

  it('stops both namespaces, and never answered a secret', async () => {
    expect((await call({ method: 'POST', url: '/api/v1/namespaces/paper/stop' })).json()).toEqual({ stopped: 'paper', feedStopped: false });
    expect((await call({ method: 'POST', url: '/api/v1/namespaces/zerodha/stop' })).json()).toEqual({ stopped: 'zerodha', feedStopped: true });

    const session = await loadValidSession(api.resources.postgres(), app.config, new Date());
    expect(session?.accessToken).toBeTruthy();
    const secrets = [API_SECRET, app.env.SECURITY__ENCRYPTION_KEY!, TOKEN, session!.accessToken, ...requestTokens];
    const bodies = [...call.bodies.map(({ request, body }) => ({ request, body })), ...rawBodies.map((body) => ({ request: 'callback', body }))];
    expect(bodies.length).toBeGreaterThan(8);
    for (const secret of secrets) {
      for (const { request, body } of bodies) expect(body.includes(secret), `${request} answered a secret`).toBe(false);
    }
  });
});
