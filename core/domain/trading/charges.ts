// Zerodha's statutory and brokerage charges for NSE equity, per executed order, in exact paise.
//
// Rates (one table below, RATE_TABLE) as published on zerodha.com/charges; checked in November 2026
// against copies of that charge list and press reports of the exchange circular:
//   - NSE cash-market transaction charge: ₹2.97 per lakh of traded value per side (0.00297%),
//     NSE's uniform "true to label" fee in force since 1 October 2024 (NSE circular of
//     27 September 2024, following SEBI's MII-charges circular of July 2024).
//   - Brokerage: intraday (MIS) 0.03% or ₹20 per executed order, whichever is lower; delivery (CNC)
//     free.
//   - STT: intraday 0.025% on the sell side; delivery 0.1% on buy and sell.
//   - SEBI turnover fee: ₹10 per crore (0.0001%).
//   - Stamp duty (buy side only): intraday 0.003% (₹300 per crore); delivery 0.015% (₹1,500/crore).
//   - GST: 18% on (brokerage + exchange transaction charge + SEBI fee); not on STT or stamp duty.
//
// Rounding, following Zerodha's brokerage calculator and contract notes: STT is rounded to the
// nearest whole rupee; every other component is rounded to the nearest paisa (half away from
// zero); GST is computed on the already-rounded brokerage, transaction charge and SEBI fee.
// DP charges (levied per scrip on delivery sells from the demat account) are outside this model.
import type { Charges } from '../events';
import { add, applyRate, MoneyError, min, paise, subtract, times, type Paise, type Rate } from '../money';

export type Product = 'MIS' | 'CNC';
export type Side = 'BUY' | 'SELL';

interface ProductRates {
  brokerage: Rate;
  /** Cap per executed order; null when brokerage is a plain percentage (or zero). */
  brokerageCap: Paise | null;
  sttBuy: Rate;
  sttSell: Rate;
  exchangeTransaction: Rate;
  sebi: Rate;
  stampDutyBuy: Rate;
  gst: Rate;
}

const ZERO_RATE: Rate = { numerator: 0, denominator: 1 };
const NSE_TRANSACTION: Rate = { numerator: 297, denominator: 10_000_000 }; // 0.00297%
const SEBI_FEE: Rate = { numerator: 1, denominator: 1_000_000 }; // ₹10 per crore = 0.0001%
const GST: Rate = { numerator: 18, denominator: 100 };

/** The single source of the charge rates. */
export const RATE_TABLE: Readonly<Record<Product, ProductRates>> = {
  MIS: {
    brokerage: { numerator: 3, denominator: 10_000 }, // 0.03%
    brokerageCap: paise(2_000), // ₹20
    sttBuy: ZERO_RATE,
    sttSell: { numerator: 25, denominator: 100_000 }, // 0.025%
    exchangeTransaction: NSE_TRANSACTION,
    sebi: SEBI_FEE,
    stampDutyBuy: { numerator: 3, denominator: 100_000 }, // 0.003%
    gst: GST,
  },
  CNC: {
    brokerage: ZERO_RATE,
    brokerageCap: null,
    sttBuy: { numerator: 1, denominator: 1_000 }, // 0.1%
    sttSell: { numerator: 1, denominator: 1_000 }, // 0.1%
    exchangeTransaction: NSE_TRANSACTION,
    sebi: SEBI_FEE,
    stampDutyBuy: { numerator: 15, denominator: 100_000 }, // 0.015%
    gst: GST,
  },
};

/** STT is levied in whole rupees: the rate is applied in rupees and rounded there. */
function sttInWholeRupees(turnover: Paise, rate: Rate): Paise {
  const rupeesDue = applyRate(turnover, { numerator: rate.numerator, denominator: rate.denominator * 100 });
  return times(rupeesDue, 100);
}

/** Charges of one executed order with the given turnover (price x quantity, in paise). */
export function chargesForTurnover(product: Product, side: Side, turnover: Paise): Charges {
  if (!Number.isSafeInteger(turnover) || turnover < 0) {
    throw new MoneyError(`turnover must be a non-negative whole number of paise, got ${turnover}`);
  }
  const rates = RATE_TABLE[product];
  const percentage = applyRate(turnover, rates.brokerage);
  const brokerage = rates.brokerageCap === null ? percentage : min(percentage, rates.brokerageCap);
  const stt = sttInWholeRupees(turnover, side === 'BUY' ? rates.sttBuy : rates.sttSell);
  const exchangeTransaction = applyRate(turnover, rates.exchangeTransaction);
  const sebi = applyRate(turnover, rates.sebi);
  const stampDuty = side === 'BUY' ? applyRate(turnover, rates.stampDutyBuy) : paise(0);
  const gst = applyRate(add(brokerage, exchangeTransaction, sebi), rates.gst);
  return {
    brokerage,
    stt,
    exchangeTransaction,
    sebi,
    stampDuty,
    gst,
    total: add(brokerage, stt, exchangeTransaction, sebi, stampDuty, gst),
  };
}

/** Charges of one executed order of `quantity` shares at `price` paise. */
export function orderCharges(product: Product, side: Side, price: Paise, quantity: number): Charges {
  return chargesForTurnover(product, side, times(price, quantity));
}

export const NO_CHARGES: Charges = Object.freeze({
  brokerage: 0,
  stt: 0,
  exchangeTransaction: 0,
  sebi: 0,
  stampDuty: 0,
  gst: 0,
  total: 0,
});

/** Component-wise a - b. */
export function subtractCharges(a: Charges, b: Charges): Charges {
  const diff = (key: keyof Charges) => subtract(a[key] as Paise, b[key] as Paise);
  return {
    brokerage: diff('brokerage'),
    stt: diff('stt'),
    exchangeTransaction: diff('exchangeTransaction'),
    sebi: diff('sebi'),
    stampDuty: diff('stampDuty'),
    gst: diff('gst'),
    total: diff('total'),
  };
}

/**
 * The charges a partial fill adds to its order. Zerodha charges per executed order (the ₹20
 * brokerage cap covers all fills of one order), so each fill is charged the difference between
 * the order's charges after and before it; the fills of an order add up to the order's charges.
 */
export function fillCharges(product: Product, side: Side, turnoverBefore: Paise, fillTurnover: Paise): Charges {
  const before = chargesForTurnover(product, side, turnoverBefore);
  const after = chargesForTurnover(product, side, add(turnoverBefore, fillTurnover));
  return subtractCharges(after, before);
}
