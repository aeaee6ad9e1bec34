import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load';
import { kiteTimeToInstant, loginUrl } from './kite-client';

describe('loginUrl', () => {
  it('uses the configured login address with v=3 and the API key', () => {
    const config = parseConfig({ ZERODHA__API_KEY: 'abc123key', ZERODHA__LOGIN_ROOT: 'http://127.0.0.1:5010/connect/login' });
    expect(loginUrl(config)).toBe('http://127.0.0.1:5010/connect/login?v=3&api_key=abc123key');
  });
});

describe('kiteTimeToInstant', () => {
  const expected = Date.parse('2026-03-02T09:05:13+05:30');

  it('reads Kite text as IST', () => {
    expect(kiteTimeToInstant('2026-03-02 09:05:13')?.getTime()).toBe(expected);
  });

  it("reads kiteconnect's local-zone Date back as IST, whatever the process zone", () => {
    // kiteconnect does `new Date(login_time)`, which reads the text in the local zone.
    expect(kiteTimeToInstant(new Date('2026-03-02 09:05:13'))?.getTime()).toBe(expected);
  });

  it('gives null for missing or unreadable times', () => {
    expect(kiteTimeToInstant(undefined)).toBeNull();
    expect(kiteTimeToInstant('yesterday')).toBeNull();
    expect(kiteTimeToInstant(new Date('nonsense'))).toBeNull();
  });
});
