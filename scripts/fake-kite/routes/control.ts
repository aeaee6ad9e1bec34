// Test controls under /_fake/: not part of Kite's API, so they live apart from it and are never
// counted as calls.
import type { FastifyInstance } from 'fastify';
import type { FakeKiteState } from '../state';
import type { FakeKiteTicker } from '../ticker';

export const CONTROL_PREFIX = '/_fake';

export function registerControlRoutes(app: FastifyInstance, state: FakeKiteState): void {
  app.post(`${CONTROL_PREFIX}/request-tokens`, async () => ({ request_token: state.issueRequestToken() }));
  // Also ends the ticker's connections of those tokens (see FakeKiteTicker).
  app.post(`${CONTROL_PREFIX}/access-tokens/expire`, async () => ({ expired: state.expireAccessTokens() }));
  app.get(`${CONTROL_PREFIX}/calls`, async () => ({ calls: state.calls() }));
}

export function registerTickerControlRoutes(app: FastifyInstance, ticker: FakeKiteTicker): void {
  app.post(`${CONTROL_PREFIX}/ticker/drop`, async () => ({ dropped: ticker.dropAllConnections() }));
  app.post(`${CONTROL_PREFIX}/ticker/tick`, async () => ({ sent: ticker.tickNow() }));
  app.get(`${CONTROL_PREFIX}/ticker`, async () => ({ ...ticker.stats(), subscriptions: ticker.subscriptions() }));
}
