import { describe, expect, it } from 'vitest';
import type { Charges, OrderFilled } from '../events';
import { NO_CHARGES } from './charges';
import { applyChargesAdjustment, applyFill, averagePriceOf, createPortfolio, markToMarket, snapshot, type PortfolioState } from './portfolio';
import { makeTick, RELIANCE } from './testing';

const START = 100_000_000; // ₹10,00,000
const AS_OF = '2026-11-24T10:05:00+05:30';
const key = String(RELIANCE);

let sequence = 0;
const fill = (side: 'BUY' | 'SELL', quantity: number, price: number, charges: Charges = NO_CHARGES): OrderFilled => {
  sequence += 1;
  return {
    orderId: `o${sequence}`,
    strategyId: 'momentum-1',
    instrumentToken: RELIANCE,
    tradingsymbol: 'RELIANCE',
    side,
    product: 'MIS',
    fillId: `f${sequence}`,
    quantity,
    price,
    cumulativeQuantity: quantity,
    remainingQuantity: 0,
    charges,
    filledAt: AS_OF,
  };
};
const apply = (state: PortfolioState, ...fills: OrderFilled[]) => fills.reduce((next, fill) => applyFill(next, fill), state);
const position = (state: PortfolioState) => state.positions[key]!;

describe('portfolio accounting', () => {
  it('buys, adds at a weighted cost, and reports the rounded average only for display', () => {
    // 10 @ 250000 + 5 @ 251001 = 2,500,000 + 1,255,005 = 3,755,005 paise for 15 shares
    const state = apply(createPortfolio(START), fill('BUY', 10, 250_000), fill('BUY', 5, 251_001));
    expect(position(state)).toMatchObject({ quantity: 15, costBasis: 3_755_005, realizedPnl: 0 });
    // 3,755,005 / 15 = 250,333.67 -> 250,334
    expect(averagePriceOf(position(state))).toBe(250_334);
    expect(state.cash).toBe(START - 3_755_005);
  });

  it('realizes P&L on a partial sell and closes the round trip exactly', () => {
    let state = apply(createPortfolio(START), fill('BUY', 10, 250_000), fill('BUY', 5, 251_001));
    // sell 7 @ 252000: cost released = 3,755,005 x 7/15 = 1,752,335.67 -> 1,752,336;
    // realized = 1,764,000 - 1,752,336 = 11,664
    state = applyFill(state, fill('SELL', 7, 252_000));
    expect(position(state)).toMatchObject({ quantity: 8, costBasis: 2_002_669, realizedPnl: 11_664 });
    // sell the last 8 @ 250000: all remaining cost released: 2,000,000 - 2,002,669 = -2,669
    state = applyFill(state, fill('SELL', 8, 250_000));
    expect(position(state)).toMatchObject({ quantity: 0, costBasis: 0, realizedPnl: 8_995 });
    // round trip: sold 3,764,000 - bought 3,755,005 = 8,995, to the paisa
    expect(state.realizedPnl).toBe(8_995);
    expect(state.cash).toBe(START + 8_995);
  });

  it('flips through zero: realizes the closed part and opens the rest at the fill price', () => {
    let state = apply(createPortfolio(START), fill('BUY', 8, 250_000));
    // sell 10 @ 251000: closes 8 (realized 8 x 1000 = 8,000), opens a short of 2 at 251000
    state = applyFill(state, fill('SELL', 10, 251_000));
    expect(position(state)).toMatchObject({ quantity: -2, costBasis: -502_000, realizedPnl: 8_000 });
    expect(averagePriceOf(position(state))).toBe(251_000);
    // the short gains when the price falls: -2 x 249000 - (-502000) = 4,000
    state = markToMarket(state, makeTick(249_000));
    expect(snapshot(state, 'momentum-1', AS_OF).unrealizedPnl).toBe(4_000);
    // cover at 252000: realized -2,000 on the short
    state = applyFill(state, fill('BUY', 2, 252_000));
    expect(position(state)).toMatchObject({ quantity: 0, costBasis: 0, realizedPnl: 6_000 });
  });

  it('marks to market for unrealized P&L, exact in paise', () => {
    let state = apply(createPortfolio(START), fill('BUY', 3, 250_005));
    state = markToMarket(state, makeTick(249_990));
    // 3 x 249990 - 750015 = -45
    expect(snapshot(state, 'momentum-1', AS_OF).positions[0]).toMatchObject({ lastPrice: 249_990, unrealizedPnl: -45 });
    // ticks of instruments never traded are ignored
    expect(markToMarket(state, makeTick(100, { instrumentToken: 2_885 }))).toBe(state);
  });

  it('takes charges out of cash and keeps realized P&L gross', () => {
    const charges: Charges = { brokerage: 2000, stt: 0, exchangeTransaction: 743, sebi: 25, stampDuty: 750, gst: 498, total: 4016 };
    const sellCharges: Charges = { brokerage: 2000, stt: 6300, exchangeTransaction: 745, sebi: 25, stampDuty: 0, gst: 499, total: 9569 };
    const state = apply(createPortfolio(START), fill('BUY', 100, 250_000, charges), fill('SELL', 100, 251_000, sellCharges));
    // gross 100 x ₹10 = ₹1,000; charges 4016 + 9569 = 13,585; net ₹864.15
    expect(state.realizedPnl).toBe(100_000);
    expect(state.chargesPaid).toBe(13_585);
    expect(state.cash).toBe(START + 100_000 - 13_585);
  });

  it('snapshots cash, P&L and every position as PnlSnapshot data', () => {
    let state = apply(createPortfolio(START), fill('BUY', 10, 250_000, { ...NO_CHARGES, brokerage: 100, total: 100 }));
    state = markToMarket(state, makeTick(251_000));
    expect(snapshot(state, 'momentum-1', AS_OF)).toEqual({
      strategyId: 'momentum-1',
      cash: START - 2_500_000 - 100,
      realizedPnl: 0,
      unrealizedPnl: 10_000,
      chargesPaid: 100,
      positions: [{ instrumentToken: RELIANCE, quantity: 10, averagePrice: 250_000, lastPrice: 251_000, realizedPnl: 0, unrealizedPnl: 10_000 }],
      asOf: AS_OF,
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('books contract-note corrections to cash and charges and keeps their sum visible', () => {
    const estimated = apply(createPortfolio(START), fill('BUY', 10, 250_000, { ...NO_CHARGES, stt: 2_500, total: 2_500 }));
    // The notes of two days charged 120 paise less, then 45 more, than the estimates booked.
    const corrected = applyChargesAdjustment(applyChargesAdjustment(estimated, -120), 45);
    expect(corrected).toMatchObject({ cash: estimated.cash + 120 - 45, chargesPaid: 2_500 - 120 + 45, chargesAdjustment: -75 });
    expect(snapshot(corrected, 'momentum-1', AS_OF)).toMatchObject({ chargesPaid: 2_425, chargesAdjustment: -75 });
    expect(snapshot(estimated, 'momentum-1', AS_OF)).not.toHaveProperty('chargesAdjustment');
  });

  it('refuses a bad starting cash', () => {
    expect(() => createPortfolio(-1)).toThrow(/starting cash/);
    expect(() => createPortfolio(1.5)).toThrow(/starting cash/);
  });
});
