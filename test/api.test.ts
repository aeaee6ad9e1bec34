// The HTTP API in mock mode against real workflows on the dev server and the real stack: every
// route answers 401 without or with a wrong token, is in the OpenAPI document with its schemas,
// refuses bad input with 400 naming the field and unknown resources with 404; the startup and
// trading routes do what they say; the error catalog covers the framework's own errors; and no
// answer of this file ever contains a secret.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatus } from '../api/operations';
import { ALL_SERVICES } from '../core/domain/namespace';
import { createPortfolio } from '../core/domain/trading/portfolio';
import { persistBooks, portfolioIndexKey, portfolioKey } from '../services/portfolio-manager/store';
import { supervisorWorkflowId } from '../workflows/definitions';
import { startTestApi, type ApiCaller, type TestApi } from './support/api';
import { createTestApp, type TestApp } from './support/app';
import { waitFor } from './support/temporal';

const TOKEN = randomBytes(32).toString('base64url');
const API_SECRET = 'apitestsecret0123456789';
const ENCRYPTION_KEY = randomBytes(32).toString('hex');

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface RouteCase {
  method: Method;
  /** The OpenAPI path template. */
  path: string;
  payload?: object;
}
const ns = (rest: string) => `/api/v1/namespaces/{namespace}${rest}`;
/** Every route that needs the token, with a valid request. */
const PROTECTED: RouteCase[] = [
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/api/v1/auth/status' },
  { method: 'GET', path: '/api/v1/auth/login-url' },
  { method: 'POST', path: '/api/v1/auth/request-token', payload: { request_token: 'abcdef123456' } },
  { method: 'GET', path: ns('/status') },
  { method: 'GET', path: ns('/services') },
  { method: 'POST', path: ns('/services/{service}/restart') },
  { method: 'POST', path: ns('/start') },
  { method: 'POST', path: ns('/stop') },
  { method: 'GET', path: ns('/pipeline') },
  { method: 'GET', path: ns('/events') },
  { method: 'GET', path: ns('/portfolios') },
  { method: 'GET', path: ns('/portfolios/summary') },
  { method: 'GET', path: ns('/portfolios/{strategyId}') },
  { method: 'GET', path: ns('/orders') },
  { method: 'GET', path: ns('/fills') },
  { method: 'GET', path: ns('/strategies') },
  { method: 'POST', path: ns('/strategies'), payload: { id: 'x1', name: 'x', strategyType: 'momentum', instruments: [738561], parameters: { quantity: 1 } } },
  { method: 'PATCH', path: ns('/strategies/{id}'), payload: { name: 'renamed' } },
  { method: 'POST', path: ns('/strategies/{id}/activate') },
  { method: 'POST', path: ns('/strategies/{id}/deactivate') },
  { method: 'GET', path: ns('/kill-switch') },
  { method: 'PUT', path: ns('/kill-switch'), payload: { reason: 'probe' } },
  { method: 'DELETE', path: ns('/kill-switch') },
  // The Temporal codec server: it decrypts workflow payloads, so only behind the token.
  { method: 'POST', path: '/api/v1/codec/decode', payload: { payloads: [] } },
  { method: 'POST', path: '/api/v1/codec/encode', payload: { payloads: [] } },
];
const PUBLIC: RouteCase[] = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/ready' },
  { method: 'GET', path: '/api/v1/auth/callback' },
];

const fill = (path: string, values: Record<string, string> = {}) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? { namespace: 'paper', service: 'risk-manager', strategyId: 'momentum_reliance', id: 'momentum_reliance' }[name]!);

describe('HTTP API in mock mode', () => {
  let app: TestApp;
  let api: TestApi;
  let call: ApiCaller;

  beforeAll(async () => {
    // Credentials are configured but Zerodha is off: they must still never show in a response.
    app = await createTestApp({
      ZERODHA__ENABLED: 'false',
      ZERODHA__API_KEY: 'apitestkey0001',
      ZERODHA__API_SECRET: API_SECRET,
      SECURITY__ENCRYPTION_KEY: ENCRYPTION_KEY,
      API__TOKEN: TOKEN,
      API__RATE_LIMIT_PER_MINUTE: '100000',
    });
    await app.seed();
    api = await startTestApi(app, TOKEN);
    call = api.call;
  });
  afterAll(async () => {
    await api?.close();
    await app?.close();
  });

  it('answers 401 unauthorized on every protected route without the token or with a wrong one, before the handler', async () => {
    const wrong = [null, randomBytes(32).toString('base64url'), TOKEN.slice(0, -1), `${TOKEN}x`, ''];
    for (const route of [...PROTECTED, { method: 'GET' as const, path: '/openapi.json' }, { method: 'GET' as const, path: '/docs' }]) {
      for (const token of wrong) {
        const response = await call({ method: route.method, url: fill(route.path), payload: route.payload, token });
        expect(response.statusCode, `${route.method} ${route.path} token=${token}`).toBe(401);
        expect(response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      }
    }
    // Nothing ran: the switch stayed off and the strategy was not created.
    expect((await call({ method: 'GET', url: '/api/v1/namespaces/paper/kill-switch' })).json().active).toBe(false);
    expect((await call({ method: 'GET', url: '/api/v1/namespaces/paper/strategies' })).json().strategies.map((s: { id: string }) => s.id)).not.toContain('x1');
    for (const route of PUBLIC) {
      const response = await call({ method: route.method, url: fill(route.path), token: null });
      expect(response.statusCode, route.path).not.toBe(401);
    }
  });

  it('describes every route in /openapi.json with its schemas, and nothing else', async () => {
    const response = await call({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    const operations = Object.entries(document.paths as Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown; responses: Record<string, unknown>; security?: unknown[] }>>)
      .flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, path, operation })));
    expect(operations.map((o) => o.key).sort()).toEqual([...PROTECTED, ...PUBLIC].map((r) => `${r.method} ${r.path}`).sort());
    for (const { key, path, operation } of operations) {
      if (path.includes('{')) expect(operation.parameters, key).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', schema: expect.any(Object) })]));
      const payload = [...PROTECTED, ...PUBLIC].find((r) => `${r.method} ${r.path}` === key)?.payload;
      if (payload) expect(operation.requestBody, key).toBeDefined();
      const success = Object.keys(operation.responses).filter((status) => status.startsWith('2'));
      expect(success.length, key).toBe(1);
      expect(operation.responses['400'] ?? operation.responses['500'], key).toBeDefined();
    }
    expect(document.paths['/api/v1/namespaces/{namespace}/orders'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['namespace', 'limit', 'cursor', 'strategy', 'status', 'from', 'to']),
    );
    const docs = await call({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('answers 400 bad_request naming the bad field', async () => {
    for (const route of PROTECTED.filter((r) => r.path.includes('{namespace}'))) {
      const response = await call({ method: route.method, url: fill(route.path, { namespace: 'live' }), payload: route.payload });
      expect(response.statusCode, route.path).toBe(400);
      expect(response.json().error, route.path).toEqual({ code: 'bad_request', message: expect.stringContaining('params.namespace') });
    }
    const cases: [Method, string, object | string | undefined, string][] = [
      ['POST', '/api/v1/auth/request-token', {}, 'body.request_token'],
      ['POST', '/api/v1/auth/request-token', { request_token: 12345678 }, 'body.request_token'],
      ['POST', '/api/v1/auth/request-token', { request_token: 'abcdef123456', extra: 1 }, 'extra'],
      ['POST', '/api/v1/namespaces/paper/services/nope/restart', undefined, 'params.service'],
      ['GET', '/api/v1/namespaces/paper/portfolios/bad%20id!', undefined, 'params.strategyId'],
      ['GET', '/api/v1/namespaces/paper/orders?limit=0', undefined, 'query.limit'],
      ['GET', '/api/v1/namespaces/paper/orders?status=DONE', undefined, 'query.status'],
      ['GET', '/api/v1/namespaces/paper/orders?cursor=bm9wZQ', undefined, 'query.cursor'],
      ['GET', '/api/v1/namespaces/paper/fills?from=yesterday', undefined, 'query.from'],
      ['GET', '/api/v1/namespaces/paper/fills?colour=red', undefined, 'colour'],
      ['POST', '/api/v1/namespaces/paper/strategies', { id: 'm2', name: 'm', strategyType: 'momentum', instruments: [738561], parameters: { quantity: 1, thresholdBps: -5 } }, 'body.parameters.thresholdBps'],
      ['POST', '/api/v1/namespaces/paper/strategies', { id: 'm2', name: 'm', strategyType: 'nope', instruments: [738561] }, 'body.strategyType'],
      ['POST', '/api/v1/namespaces/paper/strategies', { id: 'm2', name: 'm', strategyType: 'momentum', instruments: [1], parameters: { quantity: 1 } }, 'body.instruments'],
      ['POST', '/api/v1/namespaces/paper/strategies', { name: 'm', strategyType: 'momentum', instruments: [738561] }, 'body.id'],
      ['PATCH', '/api/v1/namespaces/paper/strategies/momentum_reliance', { parameters: { lookbackTicks: 0 } }, 'body.parameters.lookbackTicks'],
      ['PATCH', '/api/v1/namespaces/paper/strategies/momentum_reliance', { strategyType: 'rsi' }, 'strategyType'],
      ['PATCH', '/api/v1/namespaces/paper/strategies/momentum_reliance', {}, 'body'],
      ['PUT', '/api/v1/namespaces/paper/kill-switch', { reason: 5 }, 'body.reason'],
      ['POST', '/api/v1/auth/request-token', '{"request_token": ', 'body'],
    ];
    for (const [method, url, payload, field] of cases) {
      const headers = typeof payload === 'string' ? { 'content-type': 'application/json' } : undefined;
      const response = await call({ method, url, payload, headers });
      expect(response.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(response.json().error, `${method} ${url}`).toEqual({ code: 'bad_request', message: expect.stringContaining(field) });
    }
    // The strategy was left as it was.
    const stored = (await call({ method: 'GET', url: '/api/v1/namespaces/paper/strategies' })).json().strategies.find((s: { id: string }) => s.id === 'momentum_reliance');
    expect(stored.parameters).toEqual({ lookbackTicks: 20, thresholdBps: 15, quantity: 1 });
  });

  it('answers the catalog for unknown paths and resources, bodies too large or not JSON, and unexpected errors', async () => {
    const notFound: [Method, string, string][] = [
      ['GET', '/api/v1/nothing-here', 'not_found'],
      ['GET', '/api/namespaces/paper/status', 'not_found'],
      ['GET', '/api/v1/namespaces/paper/portfolios/never_traded', 'not_found'],
      ['PATCH', '/api/v1/namespaces/paper/strategies/no_such', 'not_found'],
      ['POST', '/api/v1/namespaces/paper/strategies/no_such/activate', 'not_found'],
      ['POST', '/api/v1/namespaces/paper/strategies/no_such/deactivate', 'not_found'],
      ['GET', '/api/v1/namespaces/zerodha/status', 'not_running'],
      ['GET', '/api/v1/namespaces/zerodha/pipeline', 'not_running'],
      ['POST', '/api/v1/namespaces/zerodha/services/risk-manager/restart', 'not_running'],
    ];
    for (const [method, url, code] of notFound) {
      const response = await call({ method, url, payload: method === 'PATCH' ? { name: 'n' } : undefined });
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toEqual({ error: { code, message: expect.any(String) } });
    }
    const big = await call({ method: 'POST', url: '/api/v1/auth/request-token', payload: { request_token: 'a'.repeat(70_000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    const plain = await call({ method: 'POST', url: '/api/v1/auth/request-token', payload: 'request_token', headers: { 'content-type': 'text/plain' } });
    expect(plain.statusCode).toBe(415);
    expect(plain.json().error.code).toBe('unsupported_media_type');
    for (const url of ['/api/v1/auth/login-url', '/api/v1/auth/request-token']) {
      const response = await call({ method: url.endsWith('token') ? 'POST' : 'GET', url, payload: url.endsWith('token') ? { request_token: 'abcdef123456' } : undefined });
      expect(response.statusCode, url).toBe(409);
      expect(response.json().error, url).toEqual({ code: 'zerodha_disabled', message: expect.stringContaining('ZERODHA__ENABLED=false') });
    }
    // A portfolio document the API cannot read is a bug to log, answered 500 without details.
    const redis = api.resources.redis();
    await redis.sadd(portfolioIndexKey('zerodha'), 'broken');
    await redis.set(portfolioKey('zerodha', 'broken'), JSON.stringify({ version: 99 }));
    const broken = await call({ method: 'GET', url: '/api/v1/namespaces/zerodha/portfolios' });
    expect(broken.statusCode).toBe(500);
    expect(broken.json()).toEqual({ error: { code: 'internal', message: 'internal error (logged on the server)' } });
    await redis.del(portfolioIndexKey('zerodha'), portfolioKey('zerodha', 'broken'));
  });

  it('serves health and readiness without the token', async () => {
    expect((await call({ method: 'GET', url: '/health', token: null })).json()).toEqual({ status: 'ok' });
    const ready = await call({ method: 'GET', url: '/ready', token: null });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      components: { postgres: { ok: true }, redis: { ok: true }, kafka: { ok: true }, temporal: { ok: true } },
    });
  });

  it('creates, edits, activates and deactivates strategies, validated against their type', async () => {
    const base = '/api/v1/namespaces/paper/strategies';
    const created = await call({
      method: 'POST',
      url: base,
      payload: { id: 'api_momentum', name: 'API momentum', strategyType: 'momentum', instruments: [738561], parameters: { quantity: 2, thresholdBps: 40 } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'api_momentum', namespace: 'paper', isActive: false, parameters: { quantity: 2, thresholdBps: 40 }, createdAt: expect.stringMatching(/\+05:30$/) });
    const again = await call({ method: 'POST', url: base, payload: { id: 'api_momentum', name: 'x', strategyType: 'momentum', instruments: [738561], parameters: { quantity: 1 } } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');

    const patched = await call({ method: 'PATCH', url: `${base}/api_momentum`, payload: { parameters: { thresholdBps: 60, quantity: null }, name: 'Renamed' } });
    expect(patched.statusCode, patched.body).toBe(400); // quantity is required by every type: removing it is refused
    expect(patched.json().error.message).toContain('body.parameters.quantity');
    const renamed = await call({ method: 'PATCH', url: `${base}/api_momentum`, payload: { parameters: { thresholdBps: 60 }, name: 'Renamed' } });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Renamed', parameters: { quantity: 2, thresholdBps: 60 } });

    expect((await call({ method: 'POST', url: `${base}/api_momentum/activate` })).json().isActive).toBe(true);
    const list = await call({ method: 'GET', url: base });
    expect(list.json().strategies.find((s: { id: string }) => s.id === 'api_momentum')).toMatchObject({ isActive: true, name: 'Renamed' });
    expect((await call({ method: 'POST', url: `${base}/api_momentum/deactivate` })).json().isActive).toBe(false);
  });

  it('turns the kill switch on and off', async () => {
    const url = '/api/v1/namespaces/paper/kill-switch';
    const on = await call({ method: 'PUT', url, payload: { reason: 'manual halt' } });
    expect(on.json()).toMatchObject({ namespace: 'paper', active: true, reason: 'manual halt', setAt: expect.any(String) });
    expect((await call({ method: 'GET', url })).json().active).toBe(true);
    expect((await call({ method: 'PUT', url })).json()).toMatchObject({ active: true, reason: null });
    expect((await call({ method: 'DELETE', url })).json()).toEqual({ namespace: 'paper', active: false, reason: null, setAt: null });
  });

  it('serves portfolios, their summary and one strategy, in paise', async () => {
    const book = (strategyId: string, cash: number) => ({
      strategyId,
      portfolio: createPortfolio(cash),
      updatedAt: '2026-11-24T10:00:00.000+05:30',
      lastSnapshotAt: '2026-11-24T10:00:00.000+05:30',
      lastSnapshotEventId: null,
      changedSinceSnapshot: false,
    });
    const multi = api.resources.redis().multi();
    persistBooks(multi, 'paper', [book('api_probe', 12_345_600), book('api_probe_2', 100)]);
    await multi.exec();
    const all = await call({ method: 'GET', url: '/api/v1/namespaces/paper/portfolios' });
    expect(all.json().strategies).toContainEqual(expect.objectContaining({ strategyId: 'api_probe', cash: 12_345_600, realizedPnl: 0, positions: [] }));
    const summary = await call({ method: 'GET', url: '/api/v1/namespaces/paper/portfolios/summary' });
    expect(summary.json()).toMatchObject({ namespace: 'paper', strategies: 2, cash: 12_345_700, netPnl: 0, openPositions: 0, asOf: '2026-11-24T10:00:00.000+05:30' });
    const one = await call({ method: 'GET', url: '/api/v1/namespaces/paper/portfolios/api_probe_2' });
    expect(one.json()).toMatchObject({ strategyId: 'api_probe_2', cash: 100 });
  });

  it('lists orders and fills newest first, filtered, a page at a time', async () => {
    const db = api.resources.postgres();
    const at = (minute: number) => `2026-11-24T10:${String(minute).padStart(2, '0')}:00.123456+05:30`;
    for (let i = 0; i < 5; i++) {
      await db.query(
        `insert into orders (namespace, order_id, strategy_id, instrument_token, tradingsymbol, side, product, order_type, quantity,
                             status, filled_quantity, average_price_paise, correlation_id, submitted_at)
         values ('paper', $1, $2, 738561, 'RELIANCE', 'BUY', 'MIS', 'MARKET', 2, $3, $4, $5, $6, $7)`,
        [`o${i}`, i % 2 === 0 ? 'even' : 'odd', i === 4 ? 'OPEN' : 'COMPLETE', i === 4 ? 0 : 2, i === 4 ? null : 150_005, randomUUID(), at(i)],
      );
      if (i < 4) {
        await db.query(
          `insert into fills (namespace, fill_id, order_id, strategy_id, instrument_token, side, quantity, price_paise, charges_paise, charges, event_id, filled_at)
           values ('paper', $1, $2, $3, 738561, 'BUY', 2, 150005, 37, $4, $5, $6)`,
          [`f${i}`, `o${i}`, i % 2 === 0 ? 'even' : 'odd', JSON.stringify({ brokerage: 20, stt: 0, exchangeTransaction: 9, sebi: 0, stampDuty: 5, gst: 3, total: 37 }), randomUUID(), at(i)],
        );
      }
    }
    const base = '/api/v1/namespaces/paper';
    const first = (await call({ method: 'GET', url: `${base}/orders?limit=2` })).json();
    expect(first.items.map((o: { orderId: string }) => o.orderId)).toEqual(['o4', 'o3']);
    expect(first.items[0]).toMatchObject({ status: 'OPEN', averagePrice: null, submittedAt: '2026-11-24T10:04:00.123+05:30', limitPrice: null });
    const second = (await call({ method: 'GET', url: `${base}/orders?limit=2&cursor=${first.nextCursor}` })).json();
    const third = (await call({ method: 'GET', url: `${base}/orders?limit=2&cursor=${second.nextCursor}` })).json();
    expect([...second.items, ...third.items].map((o: { orderId: string }) => o.orderId)).toEqual(['o2', 'o1', 'o0']);
    expect(third.nextCursor).toBeNull();
    const filtered = (await call({ method: 'GET', url: `${base}/orders?strategy=even&status=COMPLETE&from=${encodeURIComponent(at(1))}&to=${encodeURIComponent('2026-11-24T04:40:00Z')}` })).json();
    expect(filtered.items.map((o: { orderId: string }) => o.orderId)).toEqual(['o2']);
    const fills = (await call({ method: 'GET', url: `${base}/fills?strategy=odd` })).json();
    expect(fills).toEqual({
      items: [expect.objectContaining({ fillId: 'f3', orderId: 'o3', price: 150_005, chargesPaid: 37, charges: expect.objectContaining({ total: 37 }) }), expect.objectContaining({ fillId: 'f1' })],
      nextCursor: null,
    });
    expect((await call({ method: 'GET', url: `${base}/fills?order=o0` })).json().items.map((f: { fillId: string }) => f.fillId)).toEqual(['f0']);
  });

  it('starts a namespace, reports it with its supervisors, restarts a service and stops it', async () => {
    await app.startWorker();
    const base = '/api/v1/namespaces/paper';
    const start = await call({ method: 'POST', url: `${base}/start` });
    expect(start.statusCode).toBe(202);
    expect(start.json()).toMatchObject({ workflowId: 'alpha-panda-paper', started: true });
    expect((await call({ method: 'POST', url: `${base}/start` })).json()).toMatchObject({ started: false });

    const status = await waitFor(async () => {
      const response = await call({ method: 'GET', url: `${base}/status` });
      const json = response.json();
      return json.phase === 'running' && json.supervisors.length === ALL_SERVICES.length && json.supervisors.every((s: { state: string }) => s.state === 'running') && json;
    }, 'status with every supervisor running');
    expect(status).toMatchObject({ namespace: 'paper', phase: 'running', execution: 'RUNNING', failure: null });
    expect(status.webUi).toContain(encodeURIComponent(app.temporal.namespace));
    expect(status.supervisors.map((s: { workflowId: string }) => s.workflowId).sort()).toEqual(ALL_SERVICES.map((service) => supervisorWorkflowId('paper', service)).sort());
    const services = (await call({ method: 'GET', url: `${base}/services` })).json();
    expect(services.services.map((s: { service: string }) => s.service).sort()).toEqual([...ALL_SERVICES].sort());

    const report = await waitFor(async () => {
      const response = await call({ method: 'GET', url: `${base}/pipeline` });
      return response.statusCode === 200 && response.json();
    }, 'a pipeline report');
    expect(report).toMatchObject({ namespace: 'paper', state: expect.stringMatching(/^(idle|healthy|warning|degraded|critical)$/) });
    const metrics = await call({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(/alpha_panda_pipeline_state\{/);

    const restart = await call({ method: 'POST', url: `${base}/services/risk-manager/restart` });
    expect(restart.statusCode).toBe(202);
    expect(restart.json()).toEqual({ namespace: 'paper', service: 'risk-manager', restartRequested: true });
    await waitFor(async () => {
      const list = (await call({ method: 'GET', url: `${base}/services` })).json().services;
      const riskManager = list.find((s: { service: string }) => s.service === 'risk-manager');
      return riskManager?.restarts >= 1 && riskManager.state === 'running';
    }, 'the risk manager restarted');

    const stop = await call({ method: 'POST', url: `${base}/stop` });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toEqual({ stopped: 'paper', feedStopped: true });
    expect((await readStatus(app.temporal.client, 'paper')).phase).toBe('stopped');
    const afterStop = await call({ method: 'POST', url: `${base}/services/risk-manager/restart` });
    expect(afterStop.statusCode).toBe(404);
    expect(afterStop.json().error.code).toBe('not_running');
  });

  it('never answered a secret: API secret, encryption key or API token', () => {
    expect(call.bodies.length).toBeGreaterThan(100);
    for (const secret of [API_SECRET, ENCRYPTION_KEY, TOKEN]) {
      for (const { request, body } of call.bodies) expect(body.includes(secret), `${request} answered a secret`).toBe(false);
    }
  });
});
