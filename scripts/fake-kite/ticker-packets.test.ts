// The fake's packets against byte arrays written out by hand from Kite's documentation (message
// structure): offsets and widths are spelled here independently of the encoder.
import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  encodeFrame,
  encodePacket,
  HEARTBEAT,
  priceDivisor,
  splitFrame,
  toWireUnits,
  type WireQuote,
} from './ticker-packets';

/** Big-endian int32 bytes. */
const i32 = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const i16 = (value: number) => [(value >>> 8) & 0xff, value & 0xff];

const INFY = 408065; // 1594 * 256 + 1: NSE
const NIFTY = 256265; // 1001 * 256 + 9: indices
const USDINR = 412675; // 1612 * 256 + 3: CDS

const depthLevel = (i: number) => ({ quantity: 100 + i, price: 150_000 - 5 * i, orders: 3 + i });

const quote: WireQuote = {
  instrumentToken: INFY,
  lastPrice: 150_025,
  lastQuantity: 7,
  averagePrice: 149_950,
  volume: 1_234_567,
  buyQuantity: 9_000,
  sellQuantity: 8_000,
  open: 149_000,
  high: 151_000,
  low: 148_500,
  close: 149_500,
  change: 0,
  lastTradeTime: 1_772_424_300,
  oi: 11,
  oiDayHigh: 12,
  oiDayLow: 10,
  exchangeTimestamp: 1_772_424_301,
  depth: {
    buy: [0, 1, 2, 3, 4].map(depthLevel),
    sell: [0, 1, 2, 3, 4].map((i) => ({ quantity: 200 + i, price: 150_050 + 5 * i, orders: 1 + i })),
  },
};

describe("fake Kite ticker packets, byte for byte per Kite's documentation", () => {
  it('LTP: 8 bytes, token then last price', () => {
    const expected = Buffer.from([...i32(INFY), ...i32(150_025)]);
    expect(encodePacket(quote, 'ltp')).toEqual(expected);
    expect(decodePacket(expected)).toEqual({ mode: 'ltp', quote: { instrumentToken: INFY, lastPrice: 150_025 } });
  });

  it('quote: 44 bytes, trades then open, high, low, close', () => {
    const expected = Buffer.from([
      ...i32(INFY), ...i32(150_025), ...i32(7), ...i32(149_950), ...i32(1_234_567), ...i32(9_000), ...i32(8_000),
      ...i32(149_000), ...i32(151_000), ...i32(148_500), ...i32(149_500),
    ]);
    expect(expected).toHaveLength(44);
    expect(encodePacket(quote, 'quote')).toEqual(expected);
    expect(decodePacket(expected).mode).toBe('quote');
  });

  it('full: 184 bytes, times and OI at 44-64, ten 12-byte depth entries from byte 64 with int16 orders and padding', () => {
    const depth = [...quote.depth.buy, ...quote.depth.sell].flatMap((e) => [...i32(e.quantity), ...i32(e.price), ...i16(e.orders), 0, 0]);
    const expected = Buffer.from([
      ...i32(INFY), ...i32(150_025), ...i32(7), ...i32(149_950), ...i32(1_234_567), ...i32(9_000), ...i32(8_000),
      ...i32(149_000), ...i32(151_000), ...i32(148_500), ...i32(149_500),
      ...i32(1_772_424_300), ...i32(11), ...i32(12), ...i32(10), ...i32(1_772_424_301),
      ...depth,
    ]);
    expect(expected).toHaveLength(184);
    expect(encodePacket(quote, 'full')).toEqual(expected);
    const decoded = decodePacket(expected);
    expect(decoded.mode).toBe('full');
    const { change: _change, ...withoutIndexChange } = quote;
    expect(decoded.quote).toEqual(withoutIndexChange);
  });

  it('index: 28 bytes (quote) and 32 (full), with high, low, open, close and the change', () => {
    const index = { ...quote, instrumentToken: NIFTY, lastPrice: 2_340_685, high: 2_344_195, low: 2_329_595, open: 2_334_445, close: 2_326_485, change: 14_200 };
    const head = [...i32(NIFTY), ...i32(2_340_685), ...i32(2_344_195), ...i32(2_329_595), ...i32(2_334_445), ...i32(2_326_485), ...i32(14_200)];
    expect(encodePacket(index, 'quote')).toEqual(Buffer.from(head));
    expect(encodePacket(index, 'full')).toEqual(Buffer.from([...head, ...i32(1_772_424_301)]));
    expect(decodePacket(Buffer.from([...head, ...i32(1_772_424_301)]))).toEqual({
      mode: 'full',
      quote: { instrumentToken: NIFTY, lastPrice: 2_340_685, high: 2_344_195, low: 2_329_595, open: 2_334_445, close: 2_326_485, change: 14_200, exchangeTimestamp: 1_772_424_301 },
    });
  });

  it('frame: uint16 count, then each packet behind its uint16 length', () => {
    const ltp = Buffer.from([...i32(INFY), ...i32(150_025)]);
    const index = encodePacket({ ...quote, instrumentToken: NIFTY }, 'quote');
    const frame = encodeFrame([ltp, index]);
    expect([...frame.subarray(0, 4)]).toEqual([0, 2, 0, 8]);
    expect([...frame.subarray(12, 14)]).toEqual([0, 28]);
    expect(frame).toHaveLength(2 + 2 + 8 + 2 + 28);
    expect(splitFrame(frame)).toEqual([ltp, index]);
    expect(HEARTBEAT).toHaveLength(1);
  });

  it('divides prices by segment: paise, CDS by 10^7, BCD by 10^4, and converts decimals exactly', () => {
    expect(priceDivisor(INFY)).toBe(100);
    expect(priceDivisor(NIFTY)).toBe(100);
    expect(priceDivisor(USDINR)).toBe(10_000_000);
    expect(priceDivisor(1_000 * 256 + 6)).toBe(10_000);
    expect(toWireUnits('1500.25', 100)).toBe(150_025);
    expect(toWireUnits('83.2525', 10_000_000)).toBe(832_525_000);
    expect(toWireUnits(83.2525, 10_000)).toBe(832_525);
    expect(toWireUnits('0.10', 100)).toBe(10);
    expect(() => toWireUnits('1500.255', 100)).toThrow(/more decimals/);
    expect(() => toWireUnits('300', 10_000_000)).toThrow(/int32/);
  });
});
