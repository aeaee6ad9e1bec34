import { describe, expect, it } from 'vitest';
import { isValidKiteTag, kitePriceToPaise, kiteTagFor, paiseToKitePrice, parseKiteOrderUpdate, turnoverFromAverage } from './kite-order-model';
import { paise } from '../domain/money';
import { orderIdFor } from '../domain/ids';

describe('kiteTagFor', () => {
  it('is a valid Kite tag: at most 20 letters and digits', () => {
    for (const id of [orderIdFor('0196f3a0-0000-7000-8000-000000000001'), 'x', '']) {
      const tag = kiteTagFor(id);
      expect(tag).toMatch(/^AP[0-9A-Z]{18}$/);
      expect(tag.length).toBeLessThanOrEqual(20);
      expect(isValidKiteTag(tag)).toBe(true);
    }
  });

  it('is the same for the same order and differs between orders', () => {
    const id = orderIdFor('0196f3a0-0000-7000-8000-000000000001');
    expect(kiteTagFor(id)).toBe(kiteTagFor(id));
    const tags = new Set(Array.from({ length: 2000 }, (_, i) => kiteTagFor(orderIdFor(`0196f3a0-0000-7000-8000-${String(i).padStart(12, '0')}`))));
    expect(tags.size).toBe(2000);
  });
});

describe('prices', () => {
  it("reads Kite's rupee floats as exact paise and refuses prices off the paisa grid", () => {
    expect(kitePriceToPaise(1500.25)).toBe(150_025);
    expect(kitePriceToPaise(0.1 + 0.2)).toBe(30);
    expect(kitePriceToPaise(2345.65)).toBe(234_565);
    expect(() => kitePriceToPaise(1500.255)).toThrow(/whole paise/);
    expect(paiseToKitePrice(paise(150_025))).toBe(1500.25);
    expect(paiseToKitePrice(paise(5))).toBe(0.05);
  });

  it('turns an average price into the exact turnover of the fills', () => {
    expect(turnoverFromAverage(1500.25, 10)).toBe(1_500_250);
    // 1 at 100.00 and 2 at 100.05: Kite shows 100.0333333333.
    expect(turnoverFromAverage(300.1 / 3, 3)).toBe(30_010);
    expect(turnoverFromAverage(0, 0)).toBe(0);
  });
});

describe('parseKiteOrderUpdate', () => {
  it('reads an order update with IST text timestamps as instants', () => {
    const order = parseKiteOrderUpdate({
      order_id: '260302000000123',
      exchange_order_id: '1300000000000123',
      status: 'COMPLETE',
      status_message: null,
      tag: 'AP0123456789ABCDEFGH',
      exchange: 'NSE',
      tradingsymbol: 'INFY',
      instrument_token: 408065,
      transaction_type: 'BUY',
      order_type: 'MARKET',
      product: 'MIS',
      quantity: 10,
      price: 0,
      trigger_price: 0,
      average_price: 1500.25,
      filled_quantity: 10,
      pending_quantity: 0,
      order_timestamp: '2026-03-02 10:00:00',
      exchange_timestamp: '2026-03-02 10:00:01',
      exchange_update_timestamp: '2026-03-02 10:00:02',
    });
    expect(order).toMatchObject({ orderId: '260302000000123', side: 'BUY', filledTurnover: 1_500_250, price: 0 });
    expect(order.orderTimestamp?.toISOString()).toBe('2026-03-02T04:30:00.000Z');
    expect(order.exchangeUpdateTimestamp?.toISOString()).toBe('2026-03-02T04:30:02.000Z');
  });

  it('refuses an update without the fields the mapping needs', () => {
    expect(() => parseKiteOrderUpdate({ order_id: '1', status: 'OPEN' })).toThrow();
  });
});
