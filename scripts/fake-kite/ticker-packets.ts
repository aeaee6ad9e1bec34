// Kite's ticker wire format, written from Kite Connect's websocket documentation (message
// structure) for the fake: a binary frame is a uint16 packet count, then per packet a uint16
// length and the packet; every field is a big-endian int32 (depth orders an int16 and two bytes of
// padding). The packet's length tells its mode. Kept apart from the platform's feed on purpose: the
// fake and the feed each follow the documentation, so one cannot hide the other's mistake.

export type WireMode = 'ltp' | 'quote' | 'full';

/** The low byte of an instrument token is its exchange segment. */
export const SEGMENT = { NSE: 1, NFO: 2, CDS: 3, BSE: 4, BFO: 5, BCD: 6, MCX: 7, MCXSX: 8, INDICES: 9 } as const;

export const segmentOf = (instrumentToken: number): number => instrumentToken & 0xff;

/**
 * What a wire price is divided by to give rupees: paise everywhere but the currency segments,
 * NSE currency (CDS) in 10^-7 rupee, BSE currency (BCD) in 10^-4 rupee.
 */
export function priceDivisor(instrumentToken: number): number {
  switch (segmentOf(instrumentToken)) {
    case SEGMENT.CDS:
      return 10_000_000;
    case SEGMENT.BCD:
      return 10_000;
    default:
      return 100;
  }
}

export const isIndexToken = (instrumentToken: number): boolean => segmentOf(instrumentToken) === SEGMENT.INDICES;

export interface WireDepthEntry {
  quantity: number;
  /** In wire units (see priceDivisor). */
  price: number;
  orders: number;
}

/** One instrument's quote as the packet carries it: prices in wire units, times in Unix seconds. */
export interface WireQuote {
  instrumentToken: number;
  lastPrice: number;
  lastQuantity: number;
  averagePrice: number;
  volume: number;
  buyQuantity: number;
  sellQuantity: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Index packets only: last price minus close, in wire units. */
  change: number;
  lastTradeTime: number;
  oi: number;
  oiDayHigh: number;
  oiDayLow: number;
  exchangeTimestamp: number;
  depth: { buy: WireDepthEntry[]; sell: WireDepthEntry[] };
}

export const DEPTH_LEVELS = 5;
const DEPTH_ENTRY_BYTES = 12;
const DEPTH_OFFSET = 64;

/** Packet lengths by mode, from the documentation. */
export const PACKET_LENGTH = {
  ltp: 8,
  indexQuote: 28,
  indexFull: 32,
  quote: 44,
  full: 184,
} as const;

/** Kite's heartbeat: a one-byte binary message, sent every second on an idle connection. */
export const HEARTBEAT = Buffer.from([0]);

export function packetLength(instrumentToken: number, mode: WireMode): number {
  if (mode === 'ltp') return PACKET_LENGTH.ltp;
  if (isIndexToken(instrumentToken)) return mode === 'full' ? PACKET_LENGTH.indexFull : PACKET_LENGTH.indexQuote;
  return mode === 'full' ? PACKET_LENGTH.full : PACKET_LENGTH.quote;
}

export function encodePacket(quote: WireQuote, mode: WireMode): Buffer {
  const token = quote.instrumentToken;
  const packet = Buffer.alloc(packetLength(token, mode));
  const put = (offset: number, value: number) => packet.writeInt32BE(value, offset);
  put(0, token);
  put(4, quote.lastPrice);
  if (mode === 'ltp') return packet;

  if (isIndexToken(token)) {
    // Indices have no trades or depth; their OHLC comes high, low, open, close.
    put(8, quote.high);
    put(12, quote.low);
    put(16, quote.open);
    put(20, quote.close);
    put(24, quote.change);
    if (mode === 'full') put(28, quote.exchangeTimestamp);
    return packet;
  }

  put(8, quote.lastQuantity);
  put(12, quote.averagePrice);
  put(16, quote.volume);
  put(20, quote.buyQuantity);
  put(24, quote.sellQuantity);
  put(28, quote.open);
  put(32, quote.high);
  put(36, quote.low);
  put(40, quote.close);
  if (mode === 'quote') return packet;

  put(44, quote.lastTradeTime);
  put(48, quote.oi);
  put(52, quote.oiDayHigh);
  put(56, quote.oiDayLow);
  put(60, quote.exchangeTimestamp);
  const entries = [...padDepth(quote.depth.buy), ...padDepth(quote.depth.sell)];
  entries.forEach((entry, i) => {
    const at = DEPTH_OFFSET + i * DEPTH_ENTRY_BYTES;
    put(at, entry.quantity);
    put(at + 4, entry.price);
    packet.writeInt16BE(entry.orders, at + 8);
    // Two bytes of padding follow, left zero.
  });
  return packet;
}

function padDepth(levels: readonly WireDepthEntry[]): WireDepthEntry[] {
  const padded = levels.slice(0, DEPTH_LEVELS);
  while (padded.length < DEPTH_LEVELS) padded.push({ quantity: 0, price: 0, orders: 0 });
  return padded;
}

/** One binary message: the packet count, then each packet with its length in front. */
export function encodeFrame(packets: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(2);
  header.writeUInt16BE(packets.length, 0);
  const parts: Buffer[] = [header];
  for (const packet of packets) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(packet.length, 0);
    parts.push(length, packet);
  }
  return Buffer.concat(parts);
}

/** The packets of a binary message, for tests and debugging of the fake itself. */
export function splitFrame(frame: Buffer): Buffer[] {
  const count = frame.readUInt16BE(0);
  const packets: Buffer[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const length = frame.readUInt16BE(offset);
    packets.push(frame.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (offset !== frame.length) throw new Error(`frame has ${frame.length - offset} bytes after its ${count} packets`);
  return packets;
}

/** Reads a packet back (the inverse of encodePacket), with the mode its length tells. */
export function decodePacket(packet: Buffer): { mode: WireMode; quote: Partial<WireQuote> & { instrumentToken: number; lastPrice: number } } {
  const get = (offset: number) => packet.readInt32BE(offset);
  const instrumentToken = get(0);
  const lastPrice = get(4);
  switch (packet.length) {
    case PACKET_LENGTH.ltp:
      return { mode: 'ltp', quote: { instrumentToken, lastPrice } };
    case PACKET_LENGTH.indexQuote:
    case PACKET_LENGTH.indexFull: {
      const quote = { instrumentToken, lastPrice, high: get(8), low: get(12), open: get(16), close: get(20), change: get(24) };
      if (packet.length === PACKET_LENGTH.indexQuote) return { mode: 'quote', quote };
      return { mode: 'full', quote: { ...quote, exchangeTimestamp: get(28) } };
    }
    case PACKET_LENGTH.quote:
    case PACKET_LENGTH.full: {
      const quote = {
        instrumentToken,
        lastPrice,
        lastQuantity: get(8),
        averagePrice: get(12),
        volume: get(16),
        buyQuantity: get(20),
        sellQuantity: get(24),
        open: get(28),
        high: get(32),
        low: get(36),
        close: get(40),
      };
      if (packet.length === PACKET_LENGTH.quote) return { mode: 'quote', quote };
      const entry = (i: number): WireDepthEntry => {
        const at = DEPTH_OFFSET + i * DEPTH_ENTRY_BYTES;
        return { quantity: get(at), price: get(at + 4), orders: packet.readInt16BE(at + 8) };
      };
      return {
        mode: 'full',
        quote: {
          ...quote,
          lastTradeTime: get(44),
          oi: get(48),
          oiDayHigh: get(52),
          oiDayLow: get(56),
          exchangeTimestamp: get(60),
          depth: {
            buy: Array.from({ length: DEPTH_LEVELS }, (_, i) => entry(i)),
            sell: Array.from({ length: DEPTH_LEVELS }, (_, i) => entry(DEPTH_LEVELS + i)),
          },
        },
      };
    }
    default:
      throw new Error(`no packet of Kite's has ${packet.length} bytes`);
  }
}

/**
 * A decimal price in rupees ("83.2525") as an integer of wire units, without floats. Refuses a
 * price the segment cannot carry (more decimals than its divisor allows).
 */
export function toWireUnits(rupees: string | number, divisor: number): number {
  const text = typeof rupees === 'number' ? String(rupees) : rupees.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`not a non-negative decimal price: ${JSON.stringify(rupees)}`);
  const digits = Math.round(Math.log10(divisor));
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) throw new Error(`${text} has more decimals than a price divided by ${divisor} carries`);
  const value = Number(match[1]) * divisor + Number(fraction.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(value) || value > 0x7fffffff) throw new Error(`${text} does not fit Kite's int32 price`);
  return value;
}
