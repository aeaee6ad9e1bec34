// The HTTP API (through fastify's inject) and the `alpha-panda auth` command against real
// workflows on the dev server: status with supervisors and no secrets, the request_token
// hand-over refused with a reason while Zerodha login waits, and the error catalog's codes for
// bad input, a disabled Zerodha and a namespace that is not running.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatus, startNamespace } from '../api/operations';
import { buildApi } from '../api/server';
import { createPortfolio } from '../core/domain/trading/portfolio';
import { persistBooks } from '../services/portfolio-manager/store';
import { ALL_SERVICES } from '../core/domain/namespace';
import { startFakeKite, type FakeKite } from '../scripts/fake-kite/server';
import { supervisorWorkflowId, type StartupPhase } from '../workflows/definitions';
import { createTestApp, type TestApp } from './support/app';
import { waitFor } from './support/temporal';

const CLI = new URL('../bin/alpha-panda.mjs', import.meta.url).pathname;
const API_KEY = 'apitestkey0001';
const API_SECRET = 'apitestsecret0123456789';
const EXCHANGE_ROUTE = 'POST /session/token';

const secretsOf = (app: TestApp) => [app.config.zerodha.apiSecret, app.config.security.encryptionKey];

async function waitForPhase(app: TestApp, namespace: 'paper' | 'zerodha', phase: StartupPhase) {
  return waitFor(async () => {
    const status = await readStatus(app.temporal.client, namespace);
    if (status.phase === 'failed') throw new Error(`startup of ${namespace} failed: ${status.failure}`);
    return status.phase === phase && status;
  }, `${namespace} in phase ${phase}`);
}

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

describe('HTTP API in mock mode', () => {
  let app: TestApp;
  let api: FastifyInstance;
  let redis: Redis;

  beforeAll(async () => {
    // Credentials are configured but Zerodha is off: they must still never show in a response.
    app = await createTestApp({
      ZERODHA__ENABLED: 'false',
      ZERODHA__API_KEY: API_KEY,
      ZERODHA__API_SECRET: API_SECRET,
      SECURITY__ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    });
    await app.seed();
    redis = new Redis(app.config.redis.url);
    api = buildApi(app.config, app.temporal.client, redis);
  });
  afterAll(async () => {
    await api?.close();
    redis?.disconnect();
    await app?.close();
  });

  it('answers 404 NOT_RUNNING for the status of a namespace never started', async () => {
    const response = await api.inject({ method: 'GET', url: '/api/namespaces/zerodha/status' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_RUNNING', message: expect.stringContaining("'zerodha' has never been started") } });
  });

  it('answers 400 BAD_REQUEST for an unknown namespace', async () => {
    for (const request of [
      { method: 'GET' as const, url: '/api/namespaces/live/status' },
      { method: 'POST' as const, url: '/api/namespaces/live/request-token', payload: { request_token: 'abcdef123456' } },
      { method: 'POST' as const, url: '/api/namespaces/live/stop' },
    ]) {
      const response = await api.inject(request);
      expect(response.statusCode, request.url).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('namespace') });
    }
  });

  it('answers 400 BAD_REQUEST for a malformed request-token body', async () => {
    const bodies = [
      { payload: {}, why: 'no request_token' },
      { payload: { request_token: 12345678 }, why: 'a number' },
      { payload: { request_token: '' }, why: 'empty' },
      { payload: '{"request_token": ', headers: { 'content-type': 'application/json' }, why: 'broken JSON' },
      { payload: 'request_token', headers: { 'content-type': 'text/plain' }, why: 'not JSON' },
    ];
    for (const { why, ...body } of bodies) {
      const response = await api.inject({ method: 'POST', url: '/api/namespaces/paper/request-token', ...body });
      expect(response.statusCode, why).toBe(400);
      expect(response.json().error.code, why).toBe('BAD_REQUEST');
    }
  });

  it('answers 409 ZERODHA_DISABLED for the login URL', async () => {
    const response = await api.inject({ method: 'GET', url: '/api/auth/login-url' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({ error: { code: 'ZERODHA_DISABLED', message: expect.stringContaining('ZERODHA__ENABLED=false') } });
  });

  it('reports a running paper namespace with its supervisors and no secrets, and stops it', async () => {
    await app.startWorker();
    await startNamespace(app.temporal.client, 'paper');
    await waitForPhase(app, 'paper', 'running');

    const body = await waitFor(async () => {
      const response = await api.inject({ method: 'GET', url: '/api/namespaces/paper/status' });
      expect(response.statusCode).toBe(200);
      const json = response.json();
      return json.supervisors.length === ALL_SERVICES.length && json.supervisors.every((s: { state: string }) => s.state === 'running') && response;
    }, 'status with every supervisor running');
    const status = body.json();
    expect(status).toMatchObject({ namespace: 'paper', phase: 'running', execution: 'RUNNING', failure: null });
    expect(status.webUi).toContain(encodeURIComponent(app.temporal.namespace));
    expect(status.supervisors.map((s: { workflowId: string }) => s.workflowId).sort()).toEqual(
      ALL_SERVICES.map((service) => supervisorWorkflowId('paper', service)).sort(),
    );
    for (const secret of secretsOf(app)) expect(body.body).not.toContain(secret);

    // The running pipeline monitor publishes its report; the API serves it and the Prometheus text.
    const report = await waitFor(async () => {
      const response = await api.inject({ method: 'GET', url: '/api/namespaces/paper/pipeline' });
      return response.statusCode === 200 && response.json();
    }, 'a pipeline report');
    expect(report).toMatchObject({ namespace: 'paper', state: expect.stringMatching(/^(idle|healthy|warning|degraded|critical)$/) });
    expect(report.topics.find((t: { topic: string }) => t.topic.endsWith('market.ticks'))).toBeDefined();
    const metrics = await api.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(new RegExp(`alpha_panda_pipeline_state\\{[^}]*state="${report.state}"[^}]*\\} 1`));
    // The portfolio endpoint serves what the portfolio manager committed to Redis.
    const book = {
      strategyId: 'api_probe',
      portfolio: createPortfolio(12_345_600),
      updatedAt: '2026-11-24T10:00:00.000+05:30',
      lastSnapshotAt: '2026-11-24T10:00:00.000+05:30',
      lastSnapshotEventId: null,
      changedSinceSnapshot: false,
    };
    const multi = redis.multi();
    persistBooks(multi, 'paper', [book]);
    await multi.exec();
    const portfolio = await api.inject({ method: 'GET', url: '/api/namespaces/paper/portfolio' });
    expect(portfolio.statusCode).toBe(200);
    expect(portfolio.json().strategies).toContainEqual(
      expect.objectContaining({ strategyId: 'api_probe', cash: 12_345_600, realizedPnl: 0, positions: [] }),
    );

    const stop = await api.inject({ method: 'POST', url: '/api/namespaces/paper/stop' });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toEqual({ stopped: 'paper', feedStopped: true });
    expect((await readStatus(app.temporal.client, 'paper')).phase).toBe('stopped');
  });
});

describe('HTTP API and CLI while Zerodha login waits', () => {
  let fake: FakeKite;
  let app: TestApp;
  let api: FastifyInstance;
  let redis: Redis;

  beforeAll(async () => {
    fake = await startFakeKite({ port: 0, apiKey: API_KEY, apiSecret: API_SECRET });
    app = await createTestApp({
      ZERODHA__ENABLED: 'true',
      ZERODHA__API_KEY: API_KEY,
      ZERODHA__API_SECRET: API_SECRET,
      ZERODHA__API_ROOT: fake.url,
      ZERODHA__LOGIN_ROOT: fake.loginUrl,
      SECURITY__ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    });
    await app.seed();
    // The seed leaves real-money strategies switched off; switch one on as a trader would.
    const db = new pg.Client({ connectionString: app.config.database.postgresUrl });
    await db.connect();
    await db.query(
      `update strategy_configurations set is_active = true
        where namespace = 'zerodha' and id = (select min(id) from strategy_configurations where namespace = 'zerodha')`,
    );
    await db.end();
    await app.startWorker();
    await startNamespace(app.temporal.client, 'zerodha');
    await waitForPhase(app, 'zerodha', 'awaiting-auth');
    redis = new Redis(app.config.redis.url);
    api = buildApi(app.config, app.temporal.client, redis);
  });
  afterAll(async () => {
    await api?.close();
    redis?.disconnect();
    await app?.close();
    await fake?.close();
  });

  it('gives the login URL, and the waiting status without secrets', async () => {
    const expectedUrl = `${fake.loginUrl}?v=3&api_key=${API_KEY}`;
    const login = await api.inject({ method: 'GET', url: '/api/auth/login-url' });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toEqual({ loginUrl: expectedUrl });

    const status = await api.inject({ method: 'GET', url: '/api/namespaces/zerodha/status' });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ namespace: 'zerodha', phase: 'awaiting-auth', loginUrl: expectedUrl, supervisors: [] });
    for (const secret of secretsOf(app)) {
      expect(status.body).not.toContain(secret);
      expect(login.body).not.toContain(secret);
    }
  });

  it('answers 422 TOKEN_REJECTED with the reason for a wrong token, and keeps waiting', async () => {
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const response = await api.inject({
      method: 'POST',
      url: '/api/namespaces/zerodha/request-token',
      payload: { request_token: 'NeverIssuedToken0123456789abcdef' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      error: { code: 'TOKEN_REJECTED', message: expect.stringContaining('Zerodha rejected the request token: Token is invalid or has expired.') },
    });
    expect(response.body).not.toContain(API_SECRET);
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore + 1);
    const status = await readStatus(app.temporal.client, 'zerodha');
    expect(status.phase).toBe('awaiting-auth');
    expect(status.authError).toBe(response.json().error.message);
  });

  it('refuses a malformed token before it reaches Kite', async () => {
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const response = await api.inject({
      method: 'POST',
      url: '/api/namespaces/zerodha/request-token',
      payload: { request_token: 'not a token!' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'TOKEN_REJECTED', message: expect.stringMatching(/^malformed request_token/) });
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore);
    expect((await readStatus(app.temporal.client, 'zerodha')).phase).toBe('awaiting-auth');
  });

  it('`alpha-panda auth` prints the refusal and exits 1 for a wrong token', async () => {
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const { code, stdout, stderr } = await runCli(app, ['auth', '--namespace', 'zerodha', '--request-token', 'WRONG123']);
    expect(stderr).toMatch(/^Rejected: Zerodha rejected the request token: Token is invalid or has expired\./m);
    expect(stdout).not.toMatch(/Accepted/);
    expect(code).toBe(1);
    expect(`${stdout}${stderr}`).not.toContain(API_SECRET);
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore + 1);
    expect((await readStatus(app.temporal.client, 'zerodha')).phase).toBe('awaiting-auth');
  });

  it('answers 404 NOT_RUNNING for a token sent to a namespace that is not running', async () => {
    const stop = await api.inject({ method: 'POST', url: '/api/namespaces/zerodha/stop' });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toEqual({ stopped: 'zerodha', feedStopped: false });
    expect((await readStatus(app.temporal.client, 'zerodha')).phase).toBe('stopped');

    for (const namespace of ['zerodha', 'paper']) {
      const response = await api.inject({
        method: 'POST',
        url: `/api/namespaces/${namespace}/request-token`,
        payload: { request_token: fake.issueRequestToken() },
      });
      expect(response.statusCode, namespace).toBe(404);
      expect(response.json().error.code, namespace).toBe('NOT_RUNNING');
    }
  });
});
