// GET /metrics beyond the pipeline monitor, each series checked against what this test caused on
// the real stack: the paper pipeline in mock mode (orders, fills, P&L, exposure, services and
// their restarts, market-data coverage), and with Zerodha enabled against the fake Kite (the
// session's validity and time to expiry, Kite calls counted by endpoint and outcome).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatus, restartService, startNamespace, stopNamespace } from '../api/operations';
import { authenticateWithRequestToken } from '../core/broker/auth';
import { kiteCallOutcome, redisKiteCallMeter } from '../core/broker/kite-calls';
import { KiteError } from '../core/broker/kite-error';
import { KiteOrderClient } from '../core/broker/kite-orders';
import { loadValidSession } from '../core/broker/session-store';
import { ALL_SERVICES } from '../core/domain/namespace';
import type { FakeKite } from '../scripts/fake-kite/server';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import { startTestApi, type ApiCaller, type TestApi } from './support/api';
import { createTestApp, type TestApp } from './support/app';
import { createZerodhaTestApp, loginAtFakeKite, type ZerodhaTestApp } from './support/kite';
import { waitFor } from './support/temporal';

const TOKEN = randomBytes(32).toString('base64url');

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseMetrics(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    series.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return series;
}

function valueOf(series: Series[], name: string, labels: Record<string, string> = {}): number | undefined {
  return series.find((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))?.value;
}

async function scrape(call: ApiCaller): Promise<Series[]> {
  const response = await call({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return parseMetrics(response.body);
}

describe('GET /metrics with the paper pipeline running', () => {
  let app: TestApp;
  let api: TestApi;
  let call: ApiCaller;

  beforeAll(async () => {
    app = await createTestApp({ ZERODHA__ENABLED: 'false', API__TOKEN: TOKEN, API__RATE_LIMIT_PER_MINUTE: '100000', MARKET_FEED__TICKS_PER_SECOND: '100' });
    await app.seed();
    await app.startWorker();
    api = await startTestApi(app, TOKEN);
    call = api.call;
    await startNamespace(app.temporal.client, 'paper');
  });
  afterAll(async () => {
    await api?.close();
    await app?.close();
  });

  it('shows service states, a restart and the market-data coverage while running', async () => {
    const services = await waitFor(async () => {
      const metrics = await scrape(call);
      return ALL_SERVICES.every((service) => valueOf(metrics, 'alpha_panda_service_state', { namespace: 'paper', service, state: 'running' }) === 1) && metrics;
    }, 'every service running in the metrics');
    expect(valueOf(services, 'alpha_panda_service_state', { namespace: 'paper', service: 'risk-manager', state: 'failed' })).toBe(0);
    expect(valueOf(services, 'alpha_panda_service_restarts', { namespace: 'paper', service: 'risk-manager' })).toBe(0);

    await restartService(app.temporal.client, 'paper', 'risk-manager');
    await waitFor(async () => {
      const metrics = await scrape(call);
      return (
        valueOf(metrics, 'alpha_panda_service_restarts', { namespace: 'paper', service: 'risk-manager' }) === 1 &&
        valueOf(metrics, 'alpha_panda_service_state', { namespace: 'paper', service: 'risk-manager', state: 'running' }) === 1
      );
    }, 'the restart counted');

    // The simulator ticks every instrument it simulates, round robin, many times a second.
    const { rows } = await api.resources.postgres().query<{ count: number }>('select count(*)::integer as count from instruments where tick_size_paise is not null and lot_size > 0');
    const simulated = rows[0]!.count;
    expect(simulated).toBeGreaterThan(0);
    const coverage = await waitFor(async () => {
      const metrics = await scrape(call);
      return valueOf(metrics, 'alpha_panda_market_data_instruments_ticked_last_minute', { source: 'simulated' }) === simulated && metrics;
    }, 'every simulated instrument ticked');
    expect(valueOf(coverage, 'alpha_panda_market_data_instruments_subscribed', { source: 'simulated' })).toBe(simulated);
    expect(valueOf(coverage, 'alpha_panda_metrics_source_up', { source: 'market_data' })).toBe(1);
  });

  it('shows orders and fills by status, P&L and exposure exactly as stored, once the pipeline stopped', async () => {
    const db = api.resources.postgres();
    await waitFor(async () => {
      const { rows } = await db.query<{ count: number }>("select count(*)::integer as count from fills where namespace = 'paper'");
      return rows[0]!.count >= 1;
    }, 'a paper fill', 120_000);
    await stopNamespace(app.temporal.client, 'paper');
    expect((await readStatus(app.temporal.client, 'paper')).phase).toBe('stopped');

    const metrics = await scrape(call);
    const orders = await db.query<{ strategy_id: string; status: string; count: number }>(
      "select strategy_id, status, count(*)::integer as count from orders where namespace = 'paper' group by 1, 2",
    );
    const strategies = [...new Set(orders.rows.map((row) => row.strategy_id))];
    expect(strategies.length).toBeGreaterThan(0);
    const stored = (strategy: string, ...statuses: string[]) =>
      orders.rows.filter((row) => row.strategy_id === strategy && statuses.includes(row.status)).reduce((sum, row) => sum + row.count, 0);
    for (const strategy of strategies) {
      const shown = (status: string) => valueOf(metrics, 'alpha_panda_orders_total', { namespace: 'paper', strategy, status });
      expect(shown('submitted'), strategy).toBe(stored(strategy, 'OPEN', 'COMPLETE', 'CANCELLED', 'REJECTED'));
      expect(shown('filled'), strategy).toBe(stored(strategy, 'COMPLETE'));
      expect(shown('rejected'), strategy).toBe(stored(strategy, 'REJECTED'));
      expect(shown('cancelled'), strategy).toBe(stored(strategy, 'CANCELLED'));
      expect(valueOf(metrics, 'alpha_panda_orders_open', { namespace: 'paper', strategy }), strategy).toBe(stored(strategy, 'OPEN'));
    }
    const fills = await db.query<{ strategy_id: string; count: number }>("select strategy_id, count(*)::integer as count from fills where namespace = 'paper' group by 1");
    for (const row of fills.rows) expect(valueOf(metrics, 'alpha_panda_fills_total', { namespace: 'paper', strategy: row.strategy_id })).toBe(row.count);
    expect(valueOf(metrics, 'alpha_panda_orders_total', { namespace: 'zerodha' })).toBeUndefined();

    const books = [...(await loadBooks(api.resources.redis(), 'paper')).values()].map(currentView);
    expect(books.length).toBeGreaterThan(0);
    for (const book of books) {
      const labels = { namespace: 'paper', strategy: book.strategyId };
      expect(valueOf(metrics, 'alpha_panda_realized_pnl_rupees', labels)).toBe(book.realizedPnl / 100);
      expect(valueOf(metrics, 'alpha_panda_unrealized_pnl_rupees', labels)).toBe(book.unrealizedPnl / 100);
      expect(valueOf(metrics, 'alpha_panda_charges_paid_rupees', labels)).toBe(book.chargesPaid / 100);
      const exposurePaise = book.positions.reduce((sum, p) => sum + Math.abs(p.quantity) * p.lastPrice, 0);
      expect(valueOf(metrics, 'alpha_panda_exposure_rupees', labels)).toBe(exposurePaise / 100);
    }

    // The stopped feed subscribes nothing.
    expect(valueOf(metrics, 'alpha_panda_market_data_instruments_subscribed', { source: 'simulated' })).toBe(0);
    for (const source of ['orders', 'portfolios', 'services', 'session', 'kite_calls', 'market_data']) {
      expect(valueOf(metrics, 'alpha_panda_metrics_source_up', { source }), source).toBe(1);
    }
    // Zerodha is disabled here: no session is in use.
    expect(valueOf(metrics, 'alpha_panda_zerodha_session_valid')).toBe(0);
  });
});

describe('GET /metrics with Zerodha enabled, against the fake Kite', () => {
  const apiKey = 'metricskey0001';
  const apiSecret = 'metricssecret0123456789';
  let app: ZerodhaTestApp;
  let fake: FakeKite;
  let api: TestApi;
  let call: ApiCaller;

  beforeAll(async () => {
    app = await createZerodhaTestApp({ apiKey, apiSecret, env: { API__TOKEN: TOKEN } });
    fake = app.fake;
    api = await startTestApi(app, TOKEN);
    call = api.call;
  });
  afterAll(async () => {
    await api?.close();
    await app?.close();
  });

  it("shows the session's validity and time to expiry after a login, never the token, and counts the Kite calls made", async () => {
    const before = await scrape(call);
    expect(valueOf(before, 'alpha_panda_zerodha_session_valid')).toBe(0);
    expect(valueOf(before, 'alpha_panda_zerodha_session_expires_in_seconds')).toBe(0);

    // The login as the startup workflow's activity makes it, counting through the shared meter.
    const meter = redisKiteCallMeter(api.resources.redis());
    const deps = { config: app.config, pool: api.resources.postgres(), kiteCalls: meter };
    const refused = await authenticateWithRequestToken(deps, 'notatoken0000000000000000000000x');
    expect(refused.ok).toBe(false);
    const login = await loginAtFakeKite(deps, fake);

    const scrapedFrom = Date.now();
    const after = await scrape(call);
    const scrapedTo = Date.now();
    expect(valueOf(after, 'alpha_panda_zerodha_session_valid')).toBe(1);
    const expiresAt = Date.parse(login.expiresAt);
    const expiresIn = valueOf(after, 'alpha_panda_zerodha_session_expires_in_seconds')!;
    expect(expiresIn).toBeGreaterThanOrEqual(Math.floor((expiresAt - scrapedTo) / 1000));
    expect(expiresIn).toBeLessThanOrEqual(Math.floor((expiresAt - scrapedFrom) / 1000));
    expect(expiresIn).toBeGreaterThan(0);

    // Orders read with a good token, then a call with a token Kite refuses.
    const { rows } = await api.resources.postgres().query<{ count: number }>('select count(*)::integer as count from trading_sessions');
    expect(rows[0]!.count).toBe(1);
    const session = await loadValidSession(api.resources.postgres(), app.config, new Date());
    const client = new KiteOrderClient({ apiKey, apiRoot: fake.url, accessToken: session!.accessToken, secrets: [apiSecret], meter });
    await client.getOrders();
    const stale = new KiteOrderClient({ apiKey, apiRoot: fake.url, accessToken: 'expiredtoken000000000000', secrets: [apiSecret], meter });
    await expect(stale.getOrders()).rejects.toMatchObject({ kind: 'token' });

    const counted = await waitFor(async () => {
      const metrics = await scrape(call);
      return valueOf(metrics, 'alpha_panda_kite_api_calls_total', { endpoint: 'GET /orders', outcome: 'TokenException' }) === 1 && metrics;
    }, 'the Kite calls counted');
    const calls = (endpoint: string, outcome: string) => valueOf(counted, 'alpha_panda_kite_api_calls_total', { endpoint, outcome });
    expect(calls('POST /session/token', 'ok')).toBe(1);
    expect(calls('POST /session/token', 'TokenException')).toBe(1);
    expect(calls('GET /user/profile', 'ok')).toBe(1);
    expect(calls('GET /orders', 'ok')).toBe(1);

    const text = (await call({ method: 'GET', url: '/metrics' })).body;
    for (const secret of [session!.accessToken, apiSecret]) expect(text.includes(secret)).toBe(false);
  });

  it('names a rate-limited call 429 and an error by its Kite type', () => {
    expect(kiteCallOutcome(undefined)).toBe('ok');
    expect(kiteCallOutcome(new KiteError('rate-limited', 'Too many requests', 'NetworkException'))).toBe('429');
    expect(kiteCallOutcome(new KiteError('token', 'expired', 'TokenException'))).toBe('TokenException');
    expect(kiteCallOutcome(new KiteError('network', 'ECONNREFUSED'))).toBe('network');
  });
});
