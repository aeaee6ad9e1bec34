// kiteconnect's float ticks back to exact integers: checked with values that do not survive a
// naive Math.trunc(x * 100), and the currency divisors.
import { describe, expect, it } from 'vitest';
import { toDomainTick, wireDivisor } from './kite-ticks';

const INFY = { instrumentToken: 408065, tradingsymbol: 'INFY', exchange: 'NSE' };
const USDINR = { instrumentToken: 412675, tradingsymbol: 'USDINR26MARFUT', exchange: 'CDS' };
const BCD = { instrumentToken: 2_560_006, tradingsymbol: 'USDINR26MARFUT', exchange: 'BCD' };

describe('Kite ticks to domain ticks', () => {
  it('divides by segment as Kite documents: paise, CDS 10^7, BCD 10^4', () => {
    expect(wireDivisor(INFY.instrumentToken)).toBe(100);
    expect(wireDivisor(256265)).toBe(100);
    expect(wireDivisor(USDINR.instrumentToken)).toBe(10_000_000);
    expect(wireDivisor(BCD.instrumentToken)).toBe(10_000);
  });

  it('recovers exact paise from the floats kiteconnect divided', () => {
    // 1.15 * 100 = 114.99999999999999 and 2.01 * 100 = 200.99999999999997 as doubles.
    const tick = toDomainTick({ tradable: true, mode: 'ltp', instrument_token: INFY.instrumentToken, last_price: 115 / 100 }, INFY);
    expect(tick).toMatchObject({ lastPrice: 115, mode: 'ltp', ohlc: { open: 0, high: 0, low: 0, close: 0 }, depth: { buy: [], sell: [] } });
    expect(tick).not.toHaveProperty('priceScale');
    expect(toDomainTick({ tradable: true, mode: 'ltp', instrument_token: INFY.instrumentToken, last_price: 20_100 / 10_000 }, INFY)?.lastPrice).toBe(201);
  });

  it('keeps currency prices exact in their finer unit, saying so with priceScale', () => {
    const cds = toDomainTick({ tradable: true, mode: 'ltp', instrument_token: USDINR.instrumentToken, last_price: 862_575_000 / 10_000_000 }, USDINR);
    expect(cds).toMatchObject({ lastPrice: 862_575_000, priceScale: 100_000 });
    const bcd = toDomainTick({ tradable: true, mode: 'ltp', instrument_token: BCD.instrumentToken, last_price: 862_525 / 10_000 }, BCD);
    expect(bcd).toMatchObject({ lastPrice: 862_525, priceScale: 100 });
  });

  it('gives zoned IST times and skips a tick without a price', () => {
    const tick = toDomainTick(
      { tradable: true, mode: 'full', instrument_token: INFY.instrumentToken, last_price: 1500.25, exchange_timestamp: new Date('2026-03-02T04:45:02Z'), last_trade_time: null },
      INFY,
    );
    expect(tick).toMatchObject({ exchangeTimestamp: '2026-03-02T10:15:02.000+05:30', lastTradeTime: null, mode: 'full' });
    expect(toDomainTick({ tradable: true, mode: 'ltp', instrument_token: INFY.instrumentToken, last_price: 0 }, INFY)).toBeNull();
  });
});
