// The API's guards over real HTTP: a cross-site POST (the curl that used to stop a namespace) and
// a DNS-rebinding Host are refused before any handler, CORS answers only configured origins, the
// rate limit answers 429, the token can be switched off for local development, and Temporal not
// answering is 503 while readiness names it. No workflow runs here: Temporal is a dead address.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../core/config/load';
import { Resources } from '../core/resources';
import { buildApi } from '../api/server';
import { testConfig } from './support/stack';
import { freePort, rawRequest } from './support/api';

const TOKEN = randomBytes(32).toString('base64url');
const FRIEND = 'https://desk.example:8443';

/** A client whose server is not there, failing at once rather than after the SDK's retries. */
function deadTemporal(): Client {
  const connection = Connection.lazy({ address: '127.0.0.1:1', interceptors: [], connectTimeout: '1 second' });
  return new Client({ connection, namespace: 'default' });
}

async function serve(overrides: Record<string, string>): Promise<{ api: FastifyInstance; base: string; config: Config; close(): Promise<void> }> {
  const port = await freePort();
  const config = testConfig({ API__PORT: String(port), API__TOKEN: TOKEN, API__CORS_ORIGINS: FRIEND, ...overrides });
  const resources = new Resources(config);
  const client = deadTemporal();
  const api = await buildApi({ config, client, resources });
  await api.listen({ host: '127.0.0.1', port });
  return {
    api,
    config,
    base: `http://127.0.0.1:${port}`,
    async close() {
      await api.close();
      await resources.close();
      await client.connection.close().catch(() => undefined);
    },
  };
}

describe('API guards over HTTP', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    server = await serve({ API__RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => server?.close());

  it('refuses the cross-site text/plain POST that used to stop a namespace, before any handler', async () => {
    // curl -X POST -H 'Origin: http://evil.example' -H 'Host: evil.example' -H 'content-type: text/plain' --data x .../stop
    const attack = { method: 'POST', body: 'x', headers: { origin: 'http://evil.example', host: 'evil.example', 'content-type': 'text/plain' } };
    for (const url of ['/api/v1/namespaces/paper/stop', '/api/namespaces/paper/stop']) {
      const response = await rawRequest(`${server.base}${url}`, attack);
      expect(response.status, url).toBe(403);
      expect(JSON.parse(response.body)).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('Host') } });
    }
    // The right Host with the page's Origin, even carrying the token, is still refused.
    const withToken = await rawRequest(`${server.base}/api/v1/namespaces/paper/stop`, {
      ...attack,
      headers: { ...attack.headers, host: `127.0.0.1:${server.config.api.port}`, ...auth },
    });
    expect(withToken.status).toBe(403);
    expect(JSON.parse(withToken.body).error).toEqual({ code: 'forbidden', message: expect.stringContaining('cross-origin') });
    // Without an Origin (not a browser) a text/plain body is still not accepted as a command.
    const plain = await rawRequest(`${server.base}/api/v1/namespaces/paper/stop`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain', ...auth } });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.body).error.code).toBe('unsupported_media_type');
  });

  it('refuses a DNS-rebinding Host even with the token, and answers the hosts it listens on', async () => {
    const port = server.config.api.port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, '127.0.0.1', `localhost:${port + 1}`]) {
      const response = await rawRequest(`${server.base}/api/v1/namespaces/paper/kill-switch`, { headers: { host, ...auth } });
      expect(response.status, host).toBe(403);
      expect(JSON.parse(response.body).error.code, host).toBe('forbidden');
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const response = await rawRequest(`${server.base}/health`, { headers: { host } });
      expect(response.status, host).toBe(200);
    }
  });

  it('answers CORS preflights for configured origins only', async () => {
    const preflight = (origin: string) =>
      rawRequest(`${server.base}/api/v1/namespaces/paper/kill-switch`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
      });
    const friend = await preflight(FRIEND);
    expect(friend.status).toBe(204);
    expect(friend.headers['access-control-allow-origin']).toBe(FRIEND);
    const stranger = await preflight('https://evil.example');
    expect(stranger.status).toBe(403);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    // The configured origin may then call with the token; without it, it is 401.
    const call = await rawRequest(`${server.base}/api/v1/auth/login-url`, { headers: { origin: FRIEND, ...auth } });
    expect(call.status).toBe(409);
    expect(call.headers['access-control-allow-origin']).toBe(FRIEND);
    expect((await rawRequest(`${server.base}/api/v1/auth/login-url`, { headers: { origin: FRIEND } })).status).toBe(401);
  });

  it('answers 503 temporal_unavailable only for Temporal, and readiness names it', async () => {
    const status = await rawRequest(`${server.base}/api/v1/namespaces/paper/status`, { headers: auth });
    expect(status.status).toBe(503);
    expect(JSON.parse(status.body)).toEqual({ error: { code: 'temporal_unavailable', message: expect.stringContaining('Temporal') } });
    const ready = await rawRequest(`${server.base}/ready`);
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.body);
    expect(body.status).toBe('not_ready');
    expect(body.components.temporal.ok).toBe(false);
    for (const component of ['postgres', 'redis', 'kafka'] as const) expect(body.components[component], component).toMatchObject({ ok: true });
    // A route that does not touch Temporal is unaffected.
    const killSwitch = await rawRequest(`${server.base}/api/v1/namespaces/paper/kill-switch`, { headers: auth });
    expect(killSwitch.status).toBe(200);
  });
});

describe('API rate limit and local development mode', () => {
  it('answers 429 rate_limited past API__RATE_LIMIT_PER_MINUTE per client, counting refused requests too', async () => {
    const server = await serve({ API__RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await rawRequest(`${server.base}/api/v1/auth/login-url`, { headers: { authorization: 'Bearer guess' } })).status);
      expect(statuses).toEqual([401, 401, 401]);
      const limited = await rawRequest(`${server.base}/api/v1/auth/login-url`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(limited.status).toBe(429);
      expect(JSON.parse(limited.body)).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('3 requests a minute') } });
    } finally {
      await server.close();
    }
  });

  it('serves without the token when AUTH__ENABLE_USER_AUTH=false, Host and Origin checks still on', async () => {
    const server = await serve({ AUTH__ENABLE_USER_AUTH: 'false', API__TOKEN: '' });
    try {
      expect((await rawRequest(`${server.base}/api/v1/namespaces/paper/kill-switch`)).status).toBe(200);
      expect((await rawRequest(`${server.base}/openapi.json`)).status).toBe(200);
      expect((await rawRequest(`${server.base}/api/v1/namespaces/paper/kill-switch`, { headers: { host: 'evil.example' } })).status).toBe(403);
    } finally {
      await server.close();
    }
  });

  it('refuses to build without a token while authentication is on', async () => {
    const config = testConfig({ API__TOKEN: '' });
    const resources = new Resources(config);
    await expect(buildApi({ config, client: deadTemporal(), resources })).rejects.toThrow(/API__TOKEN/);
    await resources.close();
  });
});
