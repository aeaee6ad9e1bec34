import { describe, expect, it } from 'vitest';
import { paise } from '../money';
import { orderCharges, type Product, type Side } from './charges';
import { allocate, computeContractNote, type NoteFill } from './contract-note';

const INFY = 408_065;
const RELIANCE = 738_561;
const TCS = 2_953_217;
const SYMBOL: Record<number, string> = { [INFY]: 'INFY', [RELIANCE]: 'RELIANCE', [TCS]: 'TCS' };

let sequence = 0;
/** A fill of its own order, carrying the per-fill estimate the paper engine gives it. */
function fill(strategyId: string, token: number, product: Product, side: Side, quantity: number, price: number, orderId?: string): NoteFill {
  sequence += 1;
  return {
    fillId: `f${sequence}`,
    orderId: orderId ?? `o${sequence}`,
    strategyId,
    instrumentToken: token,
    tradingsymbol: SYMBOL[token]!,
    exchange: 'NSE',
    side,
    product,
    quantity,
    price,
    charges: orderCharges(product, side, paise(price), quantity),
    // 10:00 IST on Tuesday 1 December 2026
    filledAt: `2026-12-01T04:${String(30 + sequence).padStart(2, '0')}:00.000Z`,
  };
}

const charges = (brokerage: number, stt: number, exchangeTransaction: number, sebi: number, stampDuty: number, gst: number) => ({
  brokerage,
  stt,
  exchangeTransaction,
  sebi,
  stampDuty,
  gst,
  total: brokerage + stt + exchangeTransaction + sebi + stampDuty + gst,
});

/**
 * The day (values in paise):
 *   INFY, both strategies, MIS:
 *     F1 momentum-1 BUY 10 @ 142500 = 1,425,000   F2 momentum-1 SELL 10 @ 144000 = 1,440,000
 *     F3 rsi-1      BUY  8 @ 141000 = 1,128,000   F4 rsi-1      SELL  8 @ 142000 = 1,136,000
 *   RELIANCE, momentum-1, CNC bought and sold the same day:
 *     F5 BUY 4 @ 250000 = 1,000,000               F6 SELL 4 @ 252000 = 1,008,000
 *   TCS, rsi-1, CNC bought and held overnight:
 *     F7 BUY 3 @ 350000 = 1,050,000
 *
 * Per-fill estimates (charges.ts; brokerage, STT, exchange, SEBI, stamp, GST = total):
 *   F1 428, 0, 42.3 -> 42, 1, 42.75 -> 43, 18% x 471 = 84.78 -> 85                 = 599
 *   F2 432, ₹3.60 -> ₹4 = 400, 42.77 -> 43, 1, 0, 18% x 476 = 85.68 -> 86         = 962
 *   F3 338.4 -> 338, 0, 33.50 -> 34, 1, 33.84 -> 34, 18% x 373 = 67.14 -> 67      = 474
 *   F4 340.8 -> 341, ₹2.84 -> ₹3 = 300, 33.74 -> 34, 1, 0, 18% x 376 -> 68        = 744
 *   F5 (CNC) 0, ₹10 = 1000, 29.7 -> 30, 1, 0.015% = 150, 18% x 31 = 5.58 -> 6      = 1187
 *   F6 (CNC) 0, ₹10.08 -> ₹10 = 1000, 29.94 -> 30, 1, 0, 6                         = 1037
 *   F7 (CNC) 0, ₹10.50 -> ₹11 = 1100, 31.19 -> 31, 1, 157.5 -> 158, 18% x 32 -> 6  = 1296
 *   momentum-1 = F1 + F2 + F5 + F6 = 3,785; rsi-1 = F3 + F4 + F7 = 2,514; in all 6,299.
 *
 * The contract note:
 *   INFY: bought 18 for 2,553,000, sold 18 for 2,576,000: all intraday.
 *     STT 0.025% x 2,576,000 = 644 = ₹6.44 -> ₹6 = 600 (the two fills' STT, rounded each, was ₹4 + ₹3)
 *     stamp 0.003% x 2,553,000 = 76.59 -> 77
 *     brokerage per order 428 + 432 (momentum-1) + 338 + 341 (rsi-1) = 1,539
 *   RELIANCE: bought 4 and sold 4 in CNC: intraday, so intraday rates, not delivery's
 *     STT 0.025% x 1,008,000 = ₹2.52 -> ₹3 = 300; stamp 0.003% x 1,000,000 = 30
 *     brokerage as intraday: 0.03% x 1,000,000 = 300 and x 1,008,000 = 302.4 -> 302; 602
 *   TCS: bought 3, sold none: delivery. STT 0.1% x 1,050,000 = ₹10.50 -> ₹11 = 1,100;
 *     stamp 0.015% x 1,050,000 = 157.5 -> 158; brokerage 0
 *   NSE segment: turnover 5,129,000 + 2,008,000 + 1,050,000 = 8,187,000
 *     exchange 0.00297% = 243.15 -> 243; SEBI 8.187 -> 8; brokerage 2,141; STT 2,000; stamp 265
 *     GST 18% x (2,141 + 243 + 8 = 2,392) = 430.56 -> 431; total 5,088
 *   Segment lines to scrips by turnover (floor, remainder to the largest, INFY):
 *     exchange 243: INFY 152 + 1 = 153, RELIANCE 59, TCS 31; SEBI 8: INFY 5 + 1 = 6, RELIANCE 1, TCS 1
 *     GST 431 by taxable value (INFY 1,539 + 153 + 6 = 1,698; RELIANCE 662; TCS 32):
 *       INFY 305 + 2 = 307, RELIANCE 119, TCS 5
 *   INFY to strategies by turnover (momentum-1 2,865,000, rsi-1 2,264,000; remainder to momentum-1):
 *     STT 600: 335 + 1 = 336 / 264; exchange 153: 85 + 1 = 86 / 67; SEBI 6: 3 + 1 = 4 / 2;
 *     stamp 77: 43 + 1 = 44 / 33; brokerage by order 860 / 679;
 *     GST 307 by taxable (860 + 86 + 4 = 950 / 679 + 67 + 2 = 748): 171 + 1 = 172 / 135
 *   momentum-1 = INFY 1,502 + RELIANCE 1,111 = 2,613; rsi-1 = INFY 1,180 + TCS 1,295 = 2,475
 *   difference note - estimate: momentum-1 2,613 - 3,785 = -1,172; rsi-1 2,475 - 2,514 = -39
 */
function day(): NoteFill[] {
  sequence = 0;
  return [
    fill('momentum-1', INFY, 'MIS', 'BUY', 10, 142_500),
    fill('momentum-1', INFY, 'MIS', 'SELL', 10, 144_000),
    fill('rsi-1', INFY, 'MIS', 'BUY', 8, 141_000),
    fill('rsi-1', INFY, 'MIS', 'SELL', 8, 142_000),
    fill('momentum-1', RELIANCE, 'CNC', 'BUY', 4, 250_000),
    fill('momentum-1', RELIANCE, 'CNC', 'SELL', 4, 252_000),
    fill('rsi-1', TCS, 'CNC', 'BUY', 3, 350_000),
  ];
}

describe('contract note', () => {
  const note = computeContractNote('paper', '2026-12-01', day());

  it('assesses STT and stamp duty on each scrip\'s day, not per fill', () => {
    const infy = note.scrips.find((s) => s.instrumentToken === INFY)!;
    expect(infy).toMatchObject({
      buy: { quantity: 18, value: 2_553_000 },
      sell: { quantity: 18, value: 2_576_000 },
      intraday: { quantity: 18, buyValue: 2_553_000, sellValue: 2_576_000 },
      delivery: { buyQuantity: 0, buyValue: 0, sellQuantity: 0, sellValue: 0 },
      charges: charges(1_539, 600, 153, 6, 77, 307),
    });
    // Per fill the two sells paid ₹4 + ₹3 of STT; the day's aggregate pays ₹6.
    const perFill = day().filter((f) => f.instrumentToken === INFY).reduce((sum, f) => sum + f.charges.stt, 0);
    expect(perFill).toBe(700);
  });

  it('charges CNC bought and sold the same day at intraday rates', () => {
    const reliance = note.scrips.find((s) => s.instrumentToken === RELIANCE)!;
    expect(reliance).toMatchObject({
      products: { MIS: { buy: 0, sell: 0 }, CNC: { buy: 4, sell: 4 } },
      intraday: { quantity: 4, buyValue: 1_000_000, sellValue: 1_008_000 },
      delivery: { buyQuantity: 0, sellQuantity: 0 },
      charges: charges(602, 300, 59, 1, 30, 119),
    });
  });

  it('charges a CNC buy held overnight at delivery rates', () => {
    const tcs = note.scrips.find((s) => s.instrumentToken === TCS)!;
    expect(tcs).toMatchObject({
      intraday: { quantity: 0, buyValue: 0, sellValue: 0 },
      delivery: { buyQuantity: 3, buyValue: 1_050_000, sellQuantity: 0, sellValue: 0 },
      charges: charges(0, 1_100, 31, 1, 158, 5),
    });
  });

  it('totals the segment and allocates it to strategies exactly', () => {
    expect(note.segments).toEqual([{ exchange: 'NSE', turnover: 8_187_000, charges: charges(2_141, 2_000, 243, 8, 265, 431) }]);
    expect(note.totals).toEqual(charges(2_141, 2_000, 243, 8, 265, 431));
    expect(note.totals.total).toBe(5_088);
    const infy = note.scrips.find((s) => s.instrumentToken === INFY)!;
    expect(infy.strategies).toEqual([
      { strategyId: 'momentum-1', turnover: 2_865_000, charges: charges(860, 336, 86, 4, 44, 172) },
      { strategyId: 'rsi-1', turnover: 2_264_000, charges: charges(679, 264, 67, 2, 33, 135) },
    ]);
    expect(note.strategies).toEqual([
      {
        strategyId: 'momentum-1',
        turnover: 4_873_000,
        charges: charges(1_462, 636, 145, 5, 74, 291),
        estimate: charges(860, 2_400, 145, 4, 193, 183),
        difference: charges(602, -1_764, 0, 1, -119, 108),
      },
      {
        strategyId: 'rsi-1',
        turnover: 3_314_000,
        charges: charges(679, 1_364, 98, 3, 191, 140),
        estimate: charges(679, 1_400, 99, 3, 192, 141),
        difference: charges(0, -36, -1, 0, -1, -1),
      },
    ]);
    expect(note.strategies.map((s) => s.charges.total)).toEqual([2_613, 2_475]);
    expect(note.strategies.map((s) => s.difference.total)).toEqual([-1_172, -39]);
    expect(note.estimate.total).toBe(6_299);
    expect(note.difference.total).toBe(5_088 - 6_299);
    // Every line of the allocation sums to the note's line.
    for (const line of ['brokerage', 'stt', 'exchangeTransaction', 'sebi', 'stampDuty', 'gst', 'total'] as const) {
      expect(note.strategies.reduce((sum, s) => sum + s.charges[line], 0)).toBe(note.totals[line]);
    }
  });

  it('splits a partly sold CNC buy into its intraday and delivery parts', () => {
    sequence = 0;
    // CNC BUY 10 @ 100000 (1,000,000), CNC SELL 4 @ 101000 (404,000): 4 intraday, 6 delivery bought.
    // intraday buy value 1,000,000 x 4/10 = 400,000; delivery buy value 600,000.
    // STT: 0.025% x 404,000 = 101 + 0.1% x 600,000 = 600 -> 701 = ₹7.01 -> ₹7 = 700
    // stamp: 0.003% x 400,000 = 12 + 0.015% x 600,000 = 90 -> 102
    // brokerage: buy order on its intraday share 0.03% x 400,000 = 120; sell 0.03% x 404,000 = 121.2 -> 121
    const fills = [fill('momentum-1', INFY, 'CNC', 'BUY', 10, 100_000), fill('momentum-1', INFY, 'CNC', 'SELL', 4, 101_000)];
    const [scrip] = computeContractNote('paper', '2026-12-01', fills).scrips;
    expect(scrip).toMatchObject({
      intraday: { quantity: 4, buyValue: 400_000, sellValue: 404_000 },
      delivery: { buyQuantity: 6, buyValue: 600_000, sellQuantity: 0, sellValue: 0 },
      charges: { brokerage: 241, stt: 700, stampDuty: 102 },
    });
  });

  it('refuses a fill of another IST day', () => {
    const late = { ...day()[0]!, filledAt: '2026-12-01T18:31:00.000Z' }; // 00:01 IST on 2 December
    expect(() => computeContractNote('paper', '2026-12-01', [late])).toThrow(/2026-12-02/);
  });

  it('gives an empty note for a day without fills', () => {
    const empty = computeContractNote('paper', '2026-12-01', []);
    expect(empty).toMatchObject({ fills: 0, turnover: 0, scrips: [], strategies: [], totals: charges(0, 0, 0, 0, 0, 0) });
  });
});

describe('allocate', () => {
  it('splits pro rata, rounding down, with the remainder to the largest weight', () => {
    expect([...allocate(10, [['a', 1], ['b', 1], ['c', 1]])]).toEqual([['a', 4], ['b', 3], ['c', 3]]);
    expect([...allocate(7, [['a', 1], ['b', 3]])]).toEqual([['a', 1], ['b', 6]]);
    expect([...allocate(0, [['a', 0]])]).toEqual([['a', 0]]);
  });

  it('stays exact where value x weight passes 2^53', () => {
    const shares = allocate(9_000_000_000_000, [['a', 3_000_000_000_000], ['b', 6_000_000_000_001]]);
    expect(shares.get('a')! + shares.get('b')!).toBe(9_000_000_000_000);
    expect(shares.get('a')).toBe(2_999_999_999_999);
  });
});
