// Test controls under /_fake/: not part of Kite's API, so they live apart from it and are never
// counted as calls.
import type { FastifyInstance } from 'fastify';
import type { FakeKiteState } from '../state';

export const CONTROL_PREFIX = '/_fake';

export function registerControlRoutes(app: FastifyInstance, state: FakeKiteState): void {
  app.post(`${CONTROL_PREFIX}/request-tokens`, async () => ({ request_token: state.issueRequestToken() }));
  app.post(`${CONTROL_PREFIX}/access-tokens/expire`, async () => ({ expired: state.expireAccessTokens() }));
  app.get(`${CONTROL_PREFIX}/calls`, async () => ({ calls: state.calls() }));
}
