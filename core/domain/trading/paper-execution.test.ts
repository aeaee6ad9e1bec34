import { describe, expect, it } from 'vitest';
import { paise } from '../money';
import { DEFAULT_PAPER_BROKER_CONFIG, slippedPrice } from './paper-execution';
import { mulberry32 } from './rng';

const config = (slippageBps: number, tickSize = 5) => ({ ...DEFAULT_PAPER_BROKER_CONFIG, slippageBps, slippageJitterBps: 0, tickSize });
const slipped = (last: number, side: 'BUY' | 'SELL', bps: number, tickSize = 5) =>
  slippedPrice(paise(last), side, config(bps, tickSize), mulberry32(1));

describe('slippedPrice', () => {
  it('moves a cheap stock at least one tick against the trader, never rounding the slippage to zero', () => {
    // ₹10 at 5 bps: 1000 x 1.0005 = 1000.5 paise, a tenth of a tick; nearest rounding would give 1000.
    expect(slipped(1_000, 'BUY', 5)).toBe(1_005);
    expect(slipped(1_000, 'SELL', 5)).toBe(995);
  });

  it('rounds to the tick away from the trader: buys up, sells down', () => {
    // 250010 x 1.001 = 250260.01 -> up to 250265; 250010 x 0.999 = 249759.99 -> down to 249755
    expect(slipped(250_010, 'BUY', 10)).toBe(250_265);
    expect(slipped(250_010, 'SELL', 10)).toBe(249_755);
    // exact multiples stay where they are: 250000 x 1.001 = 250250
    expect(slipped(250_000, 'BUY', 10)).toBe(250_250);
  });

  it('adds nothing without slippage, and never sells below one tick', () => {
    expect(slipped(1_000, 'BUY', 0)).toBe(1_000);
    expect(slipped(5, 'SELL', 50)).toBe(5);
  });
});
