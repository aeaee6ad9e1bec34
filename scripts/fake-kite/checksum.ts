// Kite's proof that the caller knows the API secret without sending it: SHA-256 (hex) of the
// API key, the request token and the API secret, concatenated in that order.
import { createHash, timingSafeEqual } from 'node:crypto';

export function kiteChecksum(apiKey: string, requestToken: string, apiSecret: string): string {
  return createHash('sha256').update(apiKey + requestToken + apiSecret, 'utf8').digest('hex');
}

/** Constant-time comparison, so a fake that is left reachable does not leak the expected value. */
export function checksumMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
