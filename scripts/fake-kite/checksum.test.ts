import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksumMatches, kiteChecksum } from './checksum';

describe('kiteChecksum', () => {
  it('is the SHA-256 hex of api_key + request_token + api_secret', () => {
    // FIPS 180-2 test vector: SHA-256("abc").
    expect(kiteChecksum('a', 'b', 'c')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(kiteChecksum('key123', 'token456', 'secret789')).toBe(
      createHash('sha256').update('key123token456secret789').digest('hex'),
    );
  });

  it('depends on the order of its parts', () => {
    expect(kiteChecksum('key', 'token', 'secret')).not.toBe(kiteChecksum('token', 'key', 'secret'));
  });
});

describe('checksumMatches', () => {
  it('accepts the same checksum in either case and refuses any other', () => {
    const expected = kiteChecksum('key', 'token', 'secret');
    expect(checksumMatches(expected, expected)).toBe(true);
    expect(checksumMatches(expected, expected.toUpperCase())).toBe(true);
    expect(checksumMatches(expected, kiteChecksum('key', 'token', 'other-secret'))).toBe(false);
    expect(checksumMatches(expected, expected.slice(0, -1))).toBe(false);
    expect(checksumMatches(expected, '')).toBe(false);
  });
});
