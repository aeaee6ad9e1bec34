// Kite's limits on the ticker: 3,000 instruments per websocket, 3 websockets per API key.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { backoffMs, KiteMarketData } from './kite-source';

const instruments = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ instrumentToken: (from + i) * 256 + 1, tradingsymbol: `S${from + i}`, exchange: 'NSE' }));

function source() {
  return new KiteMarketData({ apiKey: 'k', tickerRoot: 'ws://127.0.0.1:1/', accessToken: async () => null, log: pino({ level: 'silent' }) });
}

describe('Kite market data source', () => {
  it('fills one connection before opening the next, up to three of 3,000', () => {
    const kite = source();
    kite.subscribe(instruments(1, 3000), 'full');
    expect(kite.health()).toMatchObject({ connections: 1, subscribed: 3000 });
    kite.subscribe(instruments(3001, 1), 'full');
    expect(kite.health()).toMatchObject({ connections: 2, subscribed: 3001 });
    kite.subscribe(instruments(3002, 5999), 'quote');
    expect(kite.health()).toMatchObject({ connections: 3, subscribed: 9000 });
  });

  it('refuses clearly beyond 9,000 instruments and changes nothing', () => {
    const kite = source();
    kite.subscribe(instruments(1, 8999), 'full');
    expect(() => kite.subscribe(instruments(9000, 2), 'full')).toThrow(/9001 instruments exceed Kite's limit of 9000/);
    expect(kite.health().subscribed).toBe(8999);
    // A mode change of instruments already subscribed is no new subscription.
    kite.subscribe(instruments(1, 10), 'ltp');
    kite.unsubscribe(instruments(1, 1).map((i) => i.instrumentToken));
    kite.subscribe(instruments(9000, 2), 'full');
    expect(kite.health().subscribed).toBe(9000);
  });

  it('backs off exponentially up to its ceiling', () => {
    const backoff = { initialMs: 1000, maxMs: 60_000 };
    expect([0, 1, 2, 5, 6, 20].map((attempt) => backoffMs(backoff, attempt))).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000]);
  });
});
