import { describe, expect, it } from 'vitest';
import { kiteChecksum } from './checksum';
import { FakeKiteState, INVALID_REQUEST_TOKEN } from './state';

const apiKey = 'testkey01';
const apiSecret = 'testsecret0123';

function stateAt(start: string) {
  const clock = { now: new Date(start) };
  const state = new FakeKiteState({ apiKey, apiSecret, requestTokenTtlMs: 5 * 60_000, now: () => clock.now });
  const exchange = (requestToken: string, secret = apiSecret) =>
    state.exchangeRequestToken({ apiKey, requestToken, checksum: kiteChecksum(apiKey, requestToken, secret) });
  return { clock, state, exchange };
}

describe('FakeKiteState', () => {
  it('exchanges a request token once', () => {
    const { state, exchange } = stateAt('2026-03-02T10:00:00+05:30');
    const token = state.issueRequestToken();
    const first = exchange(token);
    expect(first.ok).toBe(true);
    const second = exchange(token);
    expect(second).toMatchObject({ ok: false, status: 403, errorType: 'TokenException', message: INVALID_REQUEST_TOKEN });
  });

  it('refuses a request token older than its lifetime', () => {
    const { clock, state, exchange } = stateAt('2026-03-02T10:00:00+05:30');
    const token = state.issueRequestToken();
    clock.now = new Date('2026-03-02T10:05:01+05:30');
    expect(exchange(token)).toMatchObject({ ok: false, errorType: 'TokenException', message: INVALID_REQUEST_TOKEN });
  });

  it('refuses a wrong checksum without spending the request token', () => {
    const { state, exchange } = stateAt('2026-03-02T10:00:00+05:30');
    const token = state.issueRequestToken();
    expect(exchange(token, 'wrongsecret99')).toMatchObject({ ok: false, status: 403, message: 'Invalid `checksum`.' });
    expect(exchange(token).ok).toBe(true);
  });

  it('ends access tokens at 06:00 IST after the login, on logout, and on the expiry control', () => {
    const { clock, state, exchange } = stateAt('2026-03-02T10:00:00+05:30');
    const issue = () => {
      const outcome = exchange(state.issueRequestToken());
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome.session.accessToken;
    };
    const daily = issue();
    const loggedOut = issue();
    expect(state.invalidateAccessToken(apiKey, loggedOut).ok).toBe(true);
    expect(state.isAccessTokenActive(loggedOut)).toBe(false);
    expect(state.invalidateAccessToken(apiKey, loggedOut).ok).toBe(false);

    clock.now = new Date('2026-03-03T05:59:59+05:30');
    expect(state.authorize(apiKey, daily).ok).toBe(true);
    clock.now = new Date('2026-03-03T06:00:00+05:30');
    expect(state.authorize(apiKey, daily).ok).toBe(false);

    clock.now = new Date('2026-03-03T09:00:00+05:30');
    const fresh = issue();
    expect(state.expireAccessTokens()).toBe(1);
    expect(state.authorize(apiKey, fresh)).toMatchObject({ ok: false, status: 403, errorType: 'TokenException' });
  });

  it('accepts an access token only with its own API key', () => {
    const { state, exchange } = stateAt('2026-03-02T10:00:00+05:30');
    const outcome = exchange(state.issueRequestToken());
    if (!outcome.ok) throw new Error(outcome.message);
    expect(state.authorize(apiKey, outcome.session.accessToken).ok).toBe(true);
    expect(state.authorize('otherkey01', outcome.session.accessToken).ok).toBe(false);
  });
});
