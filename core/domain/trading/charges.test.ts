import { describe, expect, it } from 'vitest';
import { paise } from '../money';
import { chargesForTurnover, fillCharges, orderCharges, subtractCharges } from './charges';

describe('Zerodha equity charges', () => {
  it('intraday buy of 100 RELIANCE at ₹2,500.00', () => {
    // turnover = 100 x ₹2,500.00 = ₹2,50,000.00 = 25,000,000 paise
    // brokerage = min(₹20, 0.03% x 2,50,000 = ₹75) = ₹20.00 = 2000
    // STT (sell side only) = 0
    // exchange = 0.00297% x 25,000,000 = 742.5 -> 743 (half up)
    // SEBI = 25,000,000 / 1,000,000 = 25
    // stamp = 0.003% x 25,000,000 = 750
    // GST = 18% x (2000 + 743 + 25 = 2768) = 498.24 -> 498
    // total = 2000 + 0 + 743 + 25 + 750 + 498 = 4016
    expect(orderCharges('MIS', 'BUY', paise(250_000), 100)).toEqual({
      brokerage: 2000,
      stt: 0,
      exchangeTransaction: 743,
      sebi: 25,
      stampDuty: 750,
      gst: 498,
      total: 4016,
    });
  });

  it('intraday sell of 100 RELIANCE at ₹2,510.00', () => {
    // turnover = 25,100,000 paise
    // brokerage = min(₹20, ₹75.30) = 2000
    // STT = 0.025% x ₹2,51,000 = ₹62.75 -> rounded to the rupee ₹63 = 6300
    // exchange = 0.00297% x 25,100,000 = 745.47 -> 745
    // SEBI = 25.1 -> 25
    // stamp (buy side only) = 0
    // GST = 18% x (2000 + 745 + 25 = 2770) = 498.6 -> 499
    // total = 2000 + 6300 + 745 + 25 + 0 + 499 = 9569
    expect(orderCharges('MIS', 'SELL', paise(251_000), 100)).toEqual({
      brokerage: 2000,
      stt: 6300,
      exchangeTransaction: 745,
      sebi: 25,
      stampDuty: 0,
      gst: 499,
      total: 9569,
    });
  });

  it('intraday brokerage below the ₹20 cap: buy 10 at ₹100.00', () => {
    // turnover = ₹1,000 = 100,000 paise; brokerage = 0.03% = 30; exchange = 2.97 -> 3;
    // SEBI = 0.1 -> 0; stamp = 0.003% = 3; GST = 18% x (30 + 3 + 0) = 5.94 -> 6
    // total = 30 + 0 + 3 + 0 + 3 + 6 = 42
    expect(orderCharges('MIS', 'BUY', paise(10_000), 10)).toEqual({
      brokerage: 30,
      stt: 0,
      exchangeTransaction: 3,
      sebi: 0,
      stampDuty: 3,
      gst: 6,
      total: 42,
    });
  });

  it('delivery buy of 10 INFY at ₹1,500.00', () => {
    // turnover = ₹15,000 = 1,500,000 paise; brokerage = 0
    // STT = 0.1% x ₹15,000 = ₹15 = 1500; exchange = 0.00297% x 1,500,000 = 44.55 -> 45
    // SEBI = 1.5 -> 2; stamp = 0.015% x 1,500,000 = 225; GST = 18% x (0 + 45 + 2) = 8.46 -> 8
    // total = 0 + 1500 + 45 + 2 + 225 + 8 = 1780
    expect(orderCharges('CNC', 'BUY', paise(150_000), 10)).toEqual({
      brokerage: 0,
      stt: 1500,
      exchangeTransaction: 45,
      sebi: 2,
      stampDuty: 225,
      gst: 8,
      total: 1780,
    });
  });

  it('delivery sell of 10 INFY at ₹1,520.55', () => {
    // turnover = 1,520,550 paise; STT = 0.1% = ₹15.2055 -> ₹15 = 1500
    // exchange = 45.160335 -> 45; SEBI = 1.52055 -> 2; no stamp; GST = 18% x 47 = 8.46 -> 8
    // total = 1500 + 45 + 2 + 8 = 1555
    expect(orderCharges('CNC', 'SELL', paise(152_055), 10)).toEqual({
      brokerage: 0,
      stt: 1500,
      exchangeTransaction: 45,
      sebi: 2,
      stampDuty: 0,
      gst: 8,
      total: 1555,
    });
  });

  it('rounds STT to the nearest rupee, half up', () => {
    // 0.025% of ₹2,000 = ₹0.50 -> ₹1; of ₹1,996 = ₹0.499 -> ₹0
    expect(chargesForTurnover('MIS', 'SELL', paise(200_000)).stt).toBe(100);
    expect(chargesForTurnover('MIS', 'SELL', paise(199_600)).stt).toBe(0);
  });

  it('charges nothing on a zero turnover and refuses a negative one', () => {
    expect(chargesForTurnover('MIS', 'BUY', paise(0)).total).toBe(0);
    expect(() => chargesForTurnover('MIS', 'BUY', paise(-1))).toThrow(/turnover/);
  });

  it('splits an order into fills whose charges add up to the order, with one brokerage cap', () => {
    // 40 + 60 shares at ₹2,500: the first fill (₹1,00,000) pays ₹20 brokerage (0.03% = ₹30, capped);
    // the second adds no brokerage because the order's cap is already reached.
    const first = fillCharges('MIS', 'BUY', paise(0), paise(10_000_000));
    const second = fillCharges('MIS', 'BUY', paise(10_000_000), paise(15_000_000));
    expect(first.brokerage).toBe(2000);
    expect(second.brokerage).toBe(0);
    const whole = orderCharges('MIS', 'BUY', paise(250_000), 100);
    for (const key of Object.keys(whole) as (keyof typeof whole)[]) {
      expect(first[key] + second[key]).toBe(whole[key]);
    }
  });

  it('subtracts component-wise', () => {
    const a = orderCharges('MIS', 'SELL', paise(251_000), 100);
    expect(subtractCharges(a, a)).toEqual({ brokerage: 0, stt: 0, exchangeTransaction: 0, sebi: 0, stampDuty: 0, gst: 0, total: 0 });
  });
});
