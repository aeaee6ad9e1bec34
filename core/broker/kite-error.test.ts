import { describe, expect, it } from 'vitest';
import { KiteError, toKiteError } from './kite-error';

const apiSecret = 'sup3rs3cr3tapisecret0123456789ab';
const accessToken = 'AcCeSsToKeN0123456789abcdefghijk';

describe('toKiteError', () => {
  it.each([
    ['TokenException', 'token'],
    ['InputException', 'input'],
    ['NetworkException', 'network'],
    ['OrderException', 'order'],
    ['MarginException', 'order'],
    ['HoldingException', 'order'],
    ['GeneralException', 'other'],
  ] as const)('maps %s to kind %s', (errorType, kind) => {
    const error = toKiteError({ status: 'error', error_type: errorType, message: 'Something happened.', data: null }, []);
    expect(error).toBeInstanceOf(KiteError);
    expect(error).toMatchObject({ kind, errorType, message: 'Something happened.' });
  });

  it("reads Kite's 429 answer (a NetworkException 'Too many requests') as rate limited", () => {
    const error = toKiteError({ status: 'error', message: 'Too many requests', data: null, error_type: 'NetworkException' }, []);
    expect(error).toMatchObject({ kind: 'rate-limited', errorType: 'NetworkException' });
    expect(toKiteError({ error_type: 'NetworkException', message: 'No response from server with error code: ECONNRESET' }, []).kind).toBe('network');
  });

  it('treats socket failures without a Kite answer as network errors', () => {
    expect(toKiteError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), []).kind).toBe('network');
    expect(toKiteError(new Error('boom'), []).kind).toBe('other');
    expect(toKiteError(undefined, []).message).toBe('Unknown error');
  });

  it('never lets the secret or the access token through, however the error is printed', () => {
    // An axios-style error: the message echoes secrets and the request config holds the header.
    const raw = Object.assign(new Error(`checksum for ${apiSecret} failed, token ${accessToken}`), {
      error_type: 'TokenException',
      config: { headers: { Authorization: `token key:${accessToken}` } },
    });
    const error = toKiteError(raw, [apiSecret, accessToken]);
    expect(error.kind).toBe('token');
    for (const rendering of [error.message, String(error), error.stack ?? '', JSON.stringify(error), JSON.stringify({ ...error })]) {
      expect(rendering).not.toContain(apiSecret);
      expect(rendering).not.toContain(accessToken);
    }
    expect(error.message).toContain('[redacted]');
  });
});
