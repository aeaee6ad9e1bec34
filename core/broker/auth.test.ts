// The parts of the auth API that need no network or database; the rest is in test/kite-auth.test.ts.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load';
import { checkCredentials, normalizeRequestToken } from './auth';

const encryptionKey = 'ab'.repeat(32);
const config = (env: Record<string, string>) => parseConfig({ SECURITY__ENCRYPTION_KEY: encryptionKey, ...env });

describe('checkCredentials', () => {
  it('accepts a well-formed key, secret and encryption key', () => {
    expect(checkCredentials(config({ ZERODHA__API_KEY: 'abcd1234efgh5678', ZERODHA__API_SECRET: 'abcdefgh12345678abcdefgh12345678' }))).toBeUndefined();
  });

  it.each([
    [{ ZERODHA__API_SECRET: 'abcdefgh12345678' }, /ZERODHA__API_KEY is not set/],
    [{ ZERODHA__API_KEY: 'abcd 1234', ZERODHA__API_SECRET: 'abcdefgh12345678' }, /ZERODHA__API_KEY is malformed/],
    [{ ZERODHA__API_KEY: 'abcd1234' }, /ZERODHA__API_SECRET is not set/],
    [{ ZERODHA__API_KEY: 'abcd1234', ZERODHA__API_SECRET: '"abcdefgh12345678"' }, /ZERODHA__API_SECRET is malformed/],
  ])('names the problem in %j', (env, problem) => {
    expect(checkCredentials(config(env))).toMatch(problem);
  });

  it('requires the encryption key that protects the stored session', () => {
    const withoutKey = parseConfig({ ZERODHA__API_KEY: 'abcd1234', ZERODHA__API_SECRET: 'abcdefgh12345678' });
    expect(checkCredentials(withoutKey)).toMatch(/SECURITY__ENCRYPTION_KEY/);
  });

  it('never echoes the secret', () => {
    const secret = 'my secret with spaces';
    expect(checkCredentials(config({ ZERODHA__API_KEY: 'abcd1234', ZERODHA__API_SECRET: secret }))).not.toContain(secret);
  });
});

describe('normalizeRequestToken', () => {
  it('takes the token itself, trimmed', () => {
    expect(normalizeRequestToken('  Ab12Cd34\n')).toBe('Ab12Cd34');
  });

  it('takes the token out of a pasted redirect URL', () => {
    expect(normalizeRequestToken('http://127.0.0.1:8000/auth/callback?action=login&type=login&status=success&request_token=Zz99Yy88')).toBe('Zz99Yy88');
  });

  it('refuses anything that is not letters and digits', () => {
    expect(normalizeRequestToken('')).toBeUndefined();
    expect(normalizeRequestToken('abc def')).toBeUndefined();
    expect(normalizeRequestToken('abc;drop table')).toBeUndefined();
    expect(normalizeRequestToken('http://x/cb?request_token=%E0%A4%A')).toBeUndefined();
  });
});
