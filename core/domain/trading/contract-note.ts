// Zerodha's end-of-day contract note of one trading account (a broker namespace) for one IST
// trading day, computed from the day's fills in exact paise, and its allocation to strategies.
//
// The per-fill charges (charges.ts) are an estimate for live P&L. The contract note assesses
// some charges on the day's aggregates instead, so it differs from the sum of the estimates:
//
// - Intraday and delivery are decided per scrip by netting, not by product (NSE circular
//   NSE/CMO/0146/2004, "STT calculation in the cash market segment": the day's trades of a client
//   in a security are aggregated into buy and sell quantity and value; the quantity bought and
//   sold (min of the two) is non-delivery, the excess on either side is delivery, each valued at
//   its side's volume-weighted average price). So CNC shares bought and sold the same day are
//   intraday (Zerodha: "if you buy and sell CNC the same day, it is considered an intraday trade"),
//   and an MIS position still open at the close (Zerodha would have squared it off) is delivery.
//
// One rounding rule per charge line (rates: RATE_TABLE in charges.ts, the single source):
// - Brokerage, per executed order (zerodha.com/charges: "₹20 or 0.03% per executed order,
//   whichever is lower" for intraday, zero for delivery): an MIS order is charged on its whole
//   value; a CNC order on its share of the scrip's CNC quantity bought and sold the same day
//   (matched / its side's CNC quantity). 0.03% rounded half up to the paisa, then capped at ₹20.
// - STT, per scrip per day (NSE circular above): 0.025% of the intraday sell value plus 0.1% of
//   the delivery buy and sell values, summed exactly and rounded ONCE to the nearest rupee, half
//   up (Zerodha: "STT is rounded off to the nearest rupee").
// - Stamp duty, per scrip per day on the buy side (Indian Stamp Act s. 9A and the Collection of
//   Stamp-Duty Rules 2019: collected by the clearing corporation at settlement, which decides
//   delivery or non-delivery): 0.003% of the intraday buy value plus 0.015% of the delivery buy
//   value, summed exactly and rounded once to the paisa, half up.
// - Exchange transaction charge and SEBI turnover fee, per exchange segment on the day's
//   turnover (the note's summary lists them per segment): rounded once to the paisa, half up.
// - GST, per segment: 18% of (brokerage + exchange transaction charge + SEBI fee) of the segment,
//   on the rounded lines, rounded to the paisa, half up.
//
// Allocation to strategies (each strategy keeps its own portfolio): segment lines are apportioned
// to scrips, and each scrip's lines to the strategies that traded it, with `allocate` (pro rata,
// remainder to the largest weight), so every line sums exactly to the note. Weights: turnover,
// except GST (its taxable value: brokerage + exchange + SEBI of the scrip or strategy) and
// brokerage (per order, so each order's brokerage goes to the strategy that placed it).
// DP charges (per scrip on delivery sells from the demat account) are outside this model.
import type { Charges, ContractNoteIssued } from '../events';
import { namedEventId } from '../ids';
import { MARKET_CLOSE, toIst } from '../market-hours';
import { MoneyError, type Rate } from '../money';
import type { BrokerNamespace } from '../namespace';
import { RATE_TABLE, subtractCharges, type Product, type Side } from './charges';

/** One `fills` row (with its order's tradingsymbol and product and its instrument's exchange). */
export interface NoteFill {
  fillId: string;
  orderId: string;
  strategyId: string;
  instrumentToken: number;
  tradingsymbol: string;
  exchange: string;
  side: Side;
  product: Product;
  quantity: number;
  price: number;
  /** The per-fill estimate the fill carried. */
  charges: Charges;
  filledAt: string;
}

export interface StrategyShare {
  strategyId: string;
  turnover: number;
  charges: Charges;
}

export interface ScripNote {
  exchange: string;
  instrumentToken: number;
  tradingsymbol: string;
  buy: { quantity: number; value: number };
  sell: { quantity: number; value: number };
  /** Bought and sold the same day (MIS, and CNC netted), valued at each side's average price. */
  intraday: { quantity: number; buyValue: number; sellValue: number };
  /** The net quantity, on the side that exceeds the other. */
  delivery: { buyQuantity: number; buyValue: number; sellQuantity: number; sellValue: number };
  /** Quantities as the orders' products said. */
  products: Record<Product, { buy: number; sell: number }>;
  charges: Charges;
  strategies: StrategyShare[];
}

export interface SegmentNote {
  exchange: string;
  turnover: number;
  charges: Charges;
}

export interface StrategyNote extends StrategyShare {
  /** Sum of the per-fill estimates the strategy's portfolio booked. */
  estimate: Charges;
  /** Note - estimate: what booking the note adds to the strategy's charges. */
  difference: Charges;
}

export interface ContractNote {
  namespace: BrokerNamespace;
  tradingDate: string;
  fills: number;
  turnover: number;
  segments: SegmentNote[];
  scrips: ScripNote[];
  totals: Charges;
  estimate: Charges;
  difference: Charges;
  strategies: StrategyNote[];
}

type Line = Exclude<keyof Charges, 'total'>;
const LINES: readonly Line[] = ['brokerage', 'stt', 'exchangeTransaction', 'sebi', 'stampDuty', 'gst'];

const withTotal = (lines: Record<Line, number>): Charges => ({ ...lines, total: LINES.reduce((sum, line) => sum + lines[line], 0) });
const zeroLines = (): Record<Line, number> => ({ brokerage: 0, stt: 0, exchangeTransaction: 0, sebi: 0, stampDuty: 0, gst: 0 });
const sumCharges = (list: readonly Charges[]): Charges => {
  const lines = zeroLines();
  for (const charges of list) for (const line of LINES) lines[line] += charges[line];
  return withTotal(lines);
};

// ---- exact arithmetic ----------------------------------------------------------------------

/** A non-negative amount of paise as an exact fraction (BigInt: value x quantity x rate overflows). */
interface Fraction {
  n: bigint;
  d: bigint;
}
const fraction = (n: number | bigint, d: number | bigint = 1n): Fraction => ({ n: BigInt(n), d: BigInt(d) });
const plus = (...terms: Fraction[]): Fraction =>
  terms.reduce((a, b) => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d }), fraction(0));
const atRate = (value: Fraction, rate: Rate): Fraction => ({ n: value.n * BigInt(rate.numerator), d: value.d * BigInt(rate.denominator) });
/** `value x part / whole`; zero when whole is zero. */
const share = (value: number, part: number, whole: number): Fraction => (whole === 0 ? fraction(0) : fraction(BigInt(value) * BigInt(part), whole));
/** Rounds to a whole multiple of `unit` paise, half up (amounts here are never negative). */
function round(value: Fraction, unit: bigint = 1n): number {
  const d = value.d * unit;
  let quotient = value.n / d;
  if ((value.n % d) * 2n >= d) quotient += 1n;
  return Number(quotient * unit);
}
const RUPEE = 100n;

/**
 * Splits `total` paise pro rata to the weights: each share rounded down, the remainder to the
 * largest weight (the first of equals, so callers pass a stable order). Sums exactly to `total`.
 */
export function allocate<K>(total: number, weights: readonly (readonly [K, number])[]): Map<K, number> {
  const shares = new Map<K, number>();
  if (weights.length === 0) {
    if (total !== 0) throw new MoneyError(`cannot allocate ${total} paise to nobody`);
    return shares;
  }
  const sum = weights.reduce((acc, [, weight]) => acc + BigInt(weight), 0n);
  let given = 0;
  let largest = weights[0]!;
  for (const entry of weights) {
    const part = sum === 0n ? 0 : Number((BigInt(total) * BigInt(entry[1])) / sum);
    shares.set(entry[0], part);
    given += part;
    if (entry[1] > largest[1]) largest = entry;
  }
  shares.set(largest[0], shares.get(largest[0])! + total - given);
  return shares;
}

// ---- the note ------------------------------------------------------------------------------

const SEGMENT_RATES: Readonly<Record<string, { exchangeTransaction: Rate; sebi: Rate; gst: Rate }>> = {
  NSE: { exchangeTransaction: RATE_TABLE.MIS.exchangeTransaction, sebi: RATE_TABLE.MIS.sebi, gst: RATE_TABLE.MIS.gst },
};

interface Order {
  orderId: string;
  strategyId: string;
  product: Product;
  side: Side;
  value: number;
}

interface Scrip {
  exchange: string;
  instrumentToken: number;
  tradingsymbol: string;
  fills: NoteFill[];
}

const byKey = <T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
};

/** The scrip's quantities and its per-scrip lines (brokerage, STT, stamp duty); segment lines come later. */
function assessScrip(scrip: Scrip) {
  const quantity = (side: Side, product?: Product) =>
    scrip.fills.filter((f) => f.side === side && (!product || f.product === product)).reduce((sum, f) => sum + f.quantity, 0);
  const value = (side: Side) => scrip.fills.filter((f) => f.side === side).reduce((sum, f) => sum + f.quantity * f.price, 0);
  const buy = { quantity: quantity('BUY'), value: value('BUY') };
  const sell = { quantity: quantity('SELL'), value: value('SELL') };
  const intradayQuantity = Math.min(buy.quantity, sell.quantity);
  const deliveryBuyQuantity = buy.quantity - intradayQuantity;
  const deliverySellQuantity = sell.quantity - intradayQuantity;
  const intradayBuy = share(buy.value, intradayQuantity, buy.quantity);
  const intradaySell = share(sell.value, intradayQuantity, sell.quantity);
  const deliveryBuy = share(buy.value, deliveryBuyQuantity, buy.quantity);
  const deliverySell = share(sell.value, deliverySellQuantity, sell.quantity);
  const { MIS, CNC } = RATE_TABLE;

  const stt = round(
    plus(atRate(intradayBuy, MIS.sttBuy), atRate(intradaySell, MIS.sttSell), atRate(deliveryBuy, CNC.sttBuy), atRate(deliverySell, CNC.sttSell)),
    RUPEE,
  );
  const stampDuty = round(plus(atRate(intradayBuy, MIS.stampDutyBuy), atRate(deliveryBuy, CNC.stampDutyBuy)));

  const products = {
    MIS: { buy: quantity('BUY', 'MIS'), sell: quantity('SELL', 'MIS') },
    CNC: { buy: quantity('BUY', 'CNC'), sell: quantity('SELL', 'CNC') },
  };
  const cncMatched = Math.min(products.CNC.buy, products.CNC.sell);
  const orders = [...byKey(scrip.fills, (f) => f.orderId).values()].map(
    (fills): Order => ({
      orderId: fills[0]!.orderId,
      strategyId: fills[0]!.strategyId,
      product: fills[0]!.product,
      side: fills[0]!.side,
      value: fills.reduce((sum, f) => sum + f.quantity * f.price, 0),
    }),
  );
  const brokerageByStrategy = new Map<string, number>();
  for (const order of orders) {
    const intradayValue =
      order.product === 'MIS' ? fraction(order.value) : share(order.value, cncMatched, order.side === 'BUY' ? products.CNC.buy : products.CNC.sell);
    const brokerage = Math.min(round(atRate(intradayValue, MIS.brokerage)), MIS.brokerageCap!);
    brokerageByStrategy.set(order.strategyId, (brokerageByStrategy.get(order.strategyId) ?? 0) + brokerage);
  }

  const turnoverByStrategy = new Map<string, number>();
  for (const f of scrip.fills) turnoverByStrategy.set(f.strategyId, (turnoverByStrategy.get(f.strategyId) ?? 0) + f.quantity * f.price);

  const intradayBuyValue = round(intradayBuy);
  const intradaySellValue = round(intradaySell);
  return {
    buy,
    sell,
    intraday: { quantity: intradayQuantity, buyValue: intradayBuyValue, sellValue: intradaySellValue },
    delivery: { buyQuantity: deliveryBuyQuantity, buyValue: buy.value - intradayBuyValue, sellQuantity: deliverySellQuantity, sellValue: sell.value - intradaySellValue },
    products,
    stt,
    stampDuty,
    brokerageByStrategy,
    turnoverByStrategy: [...turnoverByStrategy].sort(([a], [b]) => (a < b ? -1 : 1)),
  };
}

export function computeContractNote(namespace: BrokerNamespace, tradingDate: string, fills: readonly NoteFill[]): ContractNote {
  for (const fill of fills) {
    const day = toIst(new Date(fill.filledAt)).date;
    if (day !== tradingDate) throw new MoneyError(`fill ${fill.fillId} was filled on ${day} (IST), not on ${tradingDate}`);
  }
  const scripGroups = byKey(fills, (f) => `${f.exchange}:${String(f.instrumentToken).padStart(12, '0')}`);
  const assessed = [...scripGroups.values()].map((group) => {
    const first = group[0]!;
    const scrip: Scrip = { exchange: first.exchange, instrumentToken: first.instrumentToken, tradingsymbol: first.tradingsymbol, fills: group };
    return { scrip, ...assessScrip(scrip) };
  });

  const segments: SegmentNote[] = [];
  const scrips: ScripNote[] = [];
  for (const [exchange, members] of byKey(assessed, (a) => a.scrip.exchange)) {
    const rates = SEGMENT_RATES[exchange];
    if (!rates) throw new MoneyError(`no charge rates for exchange ${exchange} (known: ${Object.keys(SEGMENT_RATES).join(', ')})`);
    const turnoverOf = (a: (typeof members)[number]) => a.buy.value + a.sell.value;
    const turnover = members.reduce((sum, a) => sum + turnoverOf(a), 0);
    const brokerageOf = (a: (typeof members)[number]) => [...a.brokerageByStrategy.values()].reduce((s, b) => s + b, 0);
    const segment = zeroLines();
    segment.brokerage = members.reduce((sum, a) => sum + brokerageOf(a), 0);
    segment.stt = members.reduce((sum, a) => sum + a.stt, 0);
    segment.stampDuty = members.reduce((sum, a) => sum + a.stampDuty, 0);
    segment.exchangeTransaction = round(atRate(fraction(turnover), rates.exchangeTransaction));
    segment.sebi = round(atRate(fraction(turnover), rates.sebi));
    segment.gst = round(atRate(fraction(segment.brokerage + segment.exchangeTransaction + segment.sebi), rates.gst));
    segments.push({ exchange, turnover, charges: withTotal(segment) });

    // Segment lines to scrips, then each scrip's lines to its strategies.
    const byTurnover = members.map((a, i) => [i, turnoverOf(a)] as const);
    const exchangeShares = allocate(segment.exchangeTransaction, byTurnover);
    const sebiShares = allocate(segment.sebi, byTurnover);
    const taxable = members.map((a, i) => [i, brokerageOf(a) + exchangeShares.get(i)! + sebiShares.get(i)!] as const);
    const gstShares = allocate(segment.gst, taxable);

    members.forEach((a, i) => {
      const lines: Record<Line, number> = {
        brokerage: brokerageOf(a),
        stt: a.stt,
        exchangeTransaction: exchangeShares.get(i)!,
        sebi: sebiShares.get(i)!,
        stampDuty: a.stampDuty,
        gst: gstShares.get(i)!,
      };
      const weights = a.turnoverByStrategy;
      const per = (line: 'stt' | 'exchangeTransaction' | 'sebi' | 'stampDuty') => allocate(lines[line], weights);
      const [stt, exch, sebi, stamp] = [per('stt'), per('exchangeTransaction'), per('sebi'), per('stampDuty')];
      const strategyTaxable = weights.map(([id]) => [id, (a.brokerageByStrategy.get(id) ?? 0) + exch.get(id)! + sebi.get(id)!] as const);
      const gst = allocate(lines.gst, strategyTaxable);
      scrips.push({
        exchange,
        instrumentToken: a.scrip.instrumentToken,
        tradingsymbol: a.scrip.tradingsymbol,
        buy: a.buy,
        sell: a.sell,
        intraday: a.intraday,
        delivery: a.delivery,
        products: a.products,
        charges: withTotal(lines),
        strategies: weights.map(([strategyId, turnover]) => ({
          strategyId,
          turnover,
          charges: withTotal({
            brokerage: a.brokerageByStrategy.get(strategyId) ?? 0,
            stt: stt.get(strategyId)!,
            exchangeTransaction: exch.get(strategyId)!,
            sebi: sebi.get(strategyId)!,
            stampDuty: stamp.get(strategyId)!,
            gst: gst.get(strategyId)!,
          }),
        })),
      });
    });
  }

  const strategies = [...byKey(fills, (f) => f.strategyId)].map(([strategyId, own]): StrategyNote => {
    const shares = scrips.flatMap((s) => s.strategies.filter((x) => x.strategyId === strategyId));
    const charges = sumCharges(shares.map((x) => x.charges));
    const estimate = sumCharges(own.map((f) => f.charges));
    return { strategyId, turnover: shares.reduce((sum, x) => sum + x.turnover, 0), charges, estimate, difference: subtractCharges(charges, estimate) };
  });
  const totals = sumCharges(segments.map((s) => s.charges));
  const estimate = sumCharges(fills.map((f) => f.charges));
  return {
    namespace,
    tradingDate,
    fills: fills.length,
    turnover: segments.reduce((sum, s) => sum + s.turnover, 0),
    segments,
    scrips,
    totals,
    estimate,
    difference: subtractCharges(totals, estimate),
    strategies,
  };
}

/**
 * The event id of a namespace's note of a day, stamped at that day's close: issuing the note again
 * re-emits the same id, which the portfolio manager's dedup drops.
 */
export function contractNoteEventId(namespace: BrokerNamespace, tradingDate: string): string {
  const close = `${String(MARKET_CLOSE.hour).padStart(2, '0')}:${String(MARKET_CLOSE.minute).padStart(2, '0')}`;
  return namedEventId(new Date(`${tradingDate}T${close}:00+05:30`), `contract_note_issued:${namespace}:${tradingDate}`);
}

/** The contract_note_issued data of a note: what each strategy's portfolio books. */
export function contractNoteIssued(note: ContractNote, issuedAt: string): ContractNoteIssued {
  return {
    tradingDate: note.tradingDate,
    turnover: note.turnover,
    totals: note.totals,
    estimate: note.estimate,
    strategies: note.strategies.map(({ strategyId, turnover, charges, estimate, difference }) => ({
      strategyId,
      turnover,
      charges,
      estimate,
      adjustment: difference.total,
    })),
    issuedAt,
  };
}
