// The dashboard in a real browser (Debian's chromium, headless, driven by puppeteer-core) against
// a running paper stack: its own Temporal namespace, a worker, the API on a port of its own, the
// simulated feed at a high tick rate and a strategy that trades every couple of ticks. The page
// asks for the token, then shows orders and P&L changing without a reload, activates a strategy
// and sets and clears the kill switch, each checked through the API and Redis. Screenshots go to
// test-artifacts/ (git-ignored).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/server';
import { readKillSwitch } from '../core/redis/kill-switch';
import { Resources } from '../core/resources';
import { apiCaller, freePort, type ApiCaller } from './support/api';
import { createTestApp, type TestApp } from './support/app';
import { waitFor } from './support/temporal';

// What the functions evaluated in the page use of the browser's globals (this project has no DOM types).
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
};
declare const sessionStorage: { getItem(key: string): string | null };
declare const window: Record<string, unknown>;

const TOKEN = randomBytes(32).toString('base64url');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;

describe('dashboard in a browser', () => {
  let app: TestApp;
  let resources: Resources;
  let api: FastifyInstance;
  let call: ApiCaller;
  let browser: Browser;
  let page: Page;
  let base: string;
  const requested: string[] = [];

  const screenshot = (name: string) => page.screenshot({ path: `${ARTIFACTS}dashboard-${name}.png`, fullPage: true });
  const text = (selector: string) => page.$eval(selector, (element) => element.textContent ?? '');
  const rows = (selector: string) => page.$$eval(`${selector} tbody tr`, (list) => list.length);

  beforeAll(async () => {
    // Installed with the stack's Debian packages (make setup / alpha-panda infra install).
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run make setup (apt-get install chromium), or set CHROMIUM_PATH`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    app = await createTestApp({
      ZERODHA__ENABLED: 'false',
      API__TOKEN: TOKEN,
      API__PORT: String(port),
      API__RATE_LIMIT_PER_MINUTE: '100000',
      MARKET_FEED__TICKS_PER_SECOND: '40',
      PORTFOLIO__SNAPSHOT_INTERVAL_MS: '1000',
    });
    await app.seed();
    resources = new Resources(app.config);
    api = await buildApi({ config: app.config, client: app.temporal.client, resources });
    await api.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;
    call = apiCaller(api, app.config, TOKEN);
    // A strategy that trades every other tick, and one switched off for the page to switch on.
    const strategies = '/api/v1/namespaces/paper/strategies';
    expect((await call({ method: 'PATCH', url: `${strategies}/low_frequency_demo`, payload: { parameters: { everyTicks: 2 } } })).statusCode).toBe(200);
    expect((await call({ method: 'POST', url: `${strategies}/rsi_tcs/deactivate` })).json().isActive).toBe(false);
    await app.startWorker();
    expect((await call({ method: 'POST', url: '/api/v1/namespaces/paper/start' })).statusCode).toBe(202);

    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      defaultViewport: { width: 1400, height: 1000 },
    });
    page = await browser.newPage();
    page.on('request', (request) => requested.push(request.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await call?.({ method: 'POST', url: '/api/v1/namespaces/paper/stop' }).catch(() => undefined);
    await api?.close();
    await resources?.close();
    await app?.close();
  });

  it('asks for the token once, then shows the namespace running with its checks and services', async () => {
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#token-dialog[open]');
    await screenshot('token');
    await page.type('#token-input', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#connection')?.textContent === 'live', { timeout: 30_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('alpha-panda.api-token'))).toBe(TOKEN);
    await page.waitForFunction(() => document.querySelector('#startup .badge')?.textContent === 'running', { timeout: 90_000 });
    const checks = await page.$$eval('#startup .checks li', (items) => items.map((item) => item.textContent ?? ''));
    expect(checks.length).toBeGreaterThan(0);
    await page.waitForFunction(() => document.querySelectorAll('#services tbody tr').length >= 6, { timeout: 60_000 });
    expect(await text('#services')).toContain('strategy-runner');
  });

  it('shows orders, fills and P&L changing live, without a reload', async () => {
    // Marks this document: a reload would make a new one without it.
    await page.evaluate(() => {
      window.sameDocument = true;
    });
    await page.waitForFunction(() => document.querySelectorAll('#orders tbody tr').length >= 2, { timeout: 90_000 });
    await page.waitForFunction(() => document.querySelectorAll('#fills tbody tr').length >= 1, { timeout: 60_000 });
    const firstOrders = await rows('#orders');
    const firstPnl = await text('#figures');
    const firstPoints = Number(await text('#chart-count'));
    await page.waitForFunction(
      (orders: number, pnl: string, points: number) =>
        document.querySelectorAll('#orders tbody tr').length > orders &&
        document.querySelector('#figures')?.textContent !== pnl &&
        Number(document.querySelector('#chart-count')?.textContent) > points,
      { timeout: 60_000 },
      firstOrders,
      firstPnl,
      firstPoints,
    );
    expect(await page.evaluate(() => window.sameDocument)).toBe(true);
    // Money as rupees from paise: ₹ with two decimals, the same value the API answers.
    const summary = (await call({ method: 'GET', url: '/api/v1/namespaces/paper/portfolios/summary' })).json();
    expect(summary.strategies).toBeGreaterThan(0);
    expect(await text('#portfolio-value')).toMatch(/^₹[\d,]+\.\d\d$/);
    expect(await text('#orders tbody tr td')).toMatch(/^\d\d:\d\d:\d\d$/);
    await page.waitForFunction(() => document.querySelector('#pipeline .badge') !== null, { timeout: 60_000 });
    await screenshot('live');
  });

  it('activates a strategy and sets and clears the kill switch through the page', async () => {
    const button = 'tr[data-strategy="rsi_tcs"] button';
    await page.waitForSelector(button);
    expect(await text(button)).toBe('Activate');
    await page.click(button);
    await waitFor(async () => {
      const strategies = (await call({ method: 'GET', url: '/api/v1/namespaces/paper/strategies' })).json().strategies;
      return strategies.find((s: { id: string }) => s.id === 'rsi_tcs')?.isActive === true;
    }, 'rsi_tcs active through the API', 15_000);
    await page.waitForFunction((selector: string) => document.querySelector(selector)?.textContent === 'Deactivate', {}, button);

    await page.type('#kill-reason', 'browser test halt');
    await page.click('#kill-set');
    await waitFor(async () => (await readKillSwitch(resources.redis(), 'paper')).reason === 'browser test halt', 'the kill switch in Redis', 15_000);
    expect((await call({ method: 'GET', url: '/api/v1/namespaces/paper/kill-switch' })).json()).toMatchObject({ active: true, reason: 'browser test halt' });
    await page.waitForFunction(() => document.querySelector('#kill-state')?.textContent?.includes('browser test halt'), { timeout: 15_000 });
    await screenshot('kill-switch-on');

    await page.click('#kill-clear');
    await waitFor(async () => !(await readKillSwitch(resources.redis(), 'paper')).active, 'the kill switch cleared in Redis', 15_000);
    await page.waitForSelector('#kill-set', { timeout: 15_000 });
    await screenshot('kill-switch-off');
  });

  it('streams events over HTTP to a client with the token only', async () => {
    const url = `${base}/api/v1/namespaces/paper/events`;
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const controller = new AbortController();
    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    // A client joining later is sent the current state at once, without waiting for a change.
    while (!['status', 'portfolio', 'orders', 'kill-switch', 'strategies'].every((name) => received.includes(`event: ${name}\n`))) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
    controller.abort();
    expect(received).toMatch(/event: status\ndata: \{"namespace":"paper","phase":"running"/);
  });

  it('never put the API token in a URL', () => {
    expect(requested.length).toBeGreaterThan(3);
    for (const url of requested) expect(url.includes(TOKEN), url).toBe(false);
  });
});
