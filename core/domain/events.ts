// The event envelope every message carries, and one zod schema per event type. Producers and
// consumers both validate against these; a message that fails goes to the topic's DLQ.
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { BROKER_NAMESPACES } from './namespace';

/** Integer paise (see money.ts). */
const paiseAmount = z.number().int();
const positivePaise = z.number().int().positive();
const quantity = z.number().int().positive();
const timestamp = z.iso.datetime({ offset: true });
const instrumentToken = z.number().int().positive();

export const side = z.enum(['BUY', 'SELL']);
export const orderType = z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']);
export const product = z.enum(['MIS', 'CNC']);

const depthLevel = z.object({ price: paiseAmount, quantity: z.number().int().min(0), orders: z.number().int().min(0) });

/**
 * A Kite tick; prices in paise, times with their zone. Currency segments quote in fractions of a
 * paisa (NSE's to 10^-7 rupee, BSE's to 10^-4): their ticks set `priceScale`, and every price of
 * such a tick is an exact integer of 1/priceScale paise. Absent means 1: plain paise.
 */
export const tickData = z.object({
  instrumentToken,
  tradingsymbol: z.string().min(1),
  exchange: z.string().min(1),
  mode: z.enum(['ltp', 'quote', 'full']),
  tradable: z.boolean(),
  priceScale: z.number().int().positive().optional(),
  lastPrice: positivePaise,
  lastTradedQuantity: z.number().int().min(0),
  averageTradedPrice: paiseAmount,
  volumeTraded: z.number().int().min(0),
  totalBuyQuantity: z.number().int().min(0),
  totalSellQuantity: z.number().int().min(0),
  ohlc: z.object({ open: paiseAmount, high: paiseAmount, low: paiseAmount, close: paiseAmount }),
  change: z.number(), // percent change from the previous close; informational, not money
  lastTradeTime: timestamp.nullable(),
  exchangeTimestamp: timestamp.nullable(),
  oi: z.number().int().min(0),
  depth: z.object({ buy: z.array(depthLevel).max(5), sell: z.array(depthLevel).max(5) }),
});

export const signalData = z.object({
  strategyId: z.string().min(1),
  instrumentToken,
  tradingsymbol: z.string().min(1),
  side,
  quantity,
  orderType,
  product,
  /** The tick's last price when the signal was generated. */
  referencePrice: positivePaise,
  limitPrice: positivePaise.optional(),
  triggerPrice: positivePaise.optional(),
  stopLossPrice: positivePaise.optional(),
  takeProfitPrice: positivePaise.optional(),
  reason: z.string(),
  confidence: z.number().min(0).max(1),
});

export const ruleResult = z.object({ rule: z.string().min(1), passed: z.boolean(), detail: z.string() });

export const signalValidatedData = z.object({
  signal: signalData,
  approvedQuantity: quantity,
  approvedPrice: positivePaise,
  checks: z.array(ruleResult),
});

export const signalRejectedData = z.object({
  signal: signalData,
  checks: z.array(ruleResult),
  failedRules: z.array(z.string()).min(1),
});

const orderIdentity = {
  orderId: z.string().min(1),
  strategyId: z.string().min(1),
  instrumentToken,
  tradingsymbol: z.string().min(1),
  side,
  product,
};

export const orderSubmittedData = z.object({
  ...orderIdentity,
  quantity,
  orderType,
  limitPrice: positivePaise.optional(),
  triggerPrice: positivePaise.optional(),
  /** Set for the exits a position opens (take-profit / stop-loss). */
  parentOrderId: z.string().optional(),
  submittedAt: timestamp,
});

export const charges = z.object({
  brokerage: paiseAmount,
  stt: paiseAmount,
  exchangeTransaction: paiseAmount,
  sebi: paiseAmount,
  stampDuty: paiseAmount,
  gst: paiseAmount,
  total: paiseAmount,
});

export const orderFilledData = z.object({
  ...orderIdentity,
  fillId: z.string().min(1),
  quantity,
  price: positivePaise,
  cumulativeQuantity: quantity,
  remainingQuantity: z.number().int().min(0),
  charges,
  filledAt: timestamp,
  /** The venue's own id of the order (Kite's order_id), for a live broker; paper fills have none. */
  brokerOrderId: z.string().min(1).optional(),
});

/** Refused by the venue, or by the account's cash or margin, with the reason. */
export const orderRejectedData = z.object({
  ...orderIdentity,
  /** The quantity refused (the whole order, or what was still open when the rest was refused). */
  quantity,
  reason: z.string().min(1),
  rejectedAt: timestamp,
});

/** Ended before it filled completely: by a cancel request, one-cancels-other, expiry. */
export const orderCancelledData = z.object({
  ...orderIdentity,
  /** The unfilled quantity that will never fill. */
  quantity,
  reason: z.string().min(1),
  cancelledAt: timestamp,
});

export const positionSnapshot = z.object({
  instrumentToken,
  quantity: z.number().int(),
  /**
   * The place of the last fill booked into this position in its strategy-instrument's fill log
   * (the offset of {ns}.orders.filled, whose key keeps one strategy-instrument on one partition),
   * so a reader knows which fills the snapshot includes; absent in snapshots from before it existed.
   */
  fillSequence: z.number().int().min(0).optional(),
  averagePrice: paiseAmount,
  lastPrice: paiseAmount,
  realizedPnl: paiseAmount,
  unrealizedPnl: paiseAmount,
});

export const pnlSnapshotData = z.object({
  strategyId: z.string().min(1),
  cash: paiseAmount,
  realizedPnl: paiseAmount,
  unrealizedPnl: paiseAmount,
  chargesPaid: paiseAmount,
  /** Part of chargesPaid that contract notes corrected (note - estimates); absent until one is booked. */
  chargesAdjustment: paiseAmount.optional(),
  positions: z.array(positionSnapshot),
  asOf: timestamp,
});

/** A strategy's share of a day's contract note (core/domain/trading/contract-note.ts). */
export const contractNoteAllocation = z.object({
  strategyId: z.string().min(1),
  turnover: paiseAmount,
  charges,
  /** The per-fill estimates of the strategy's fills of the day. */
  estimate: charges,
  /** charges.total - estimate.total: what booking the note adds to the strategy's charges. */
  adjustment: paiseAmount,
});

export const contractNoteIssuedData = z.object({
  tradingDate: z.iso.date(),
  turnover: paiseAmount,
  totals: charges,
  estimate: charges,
  strategies: z.array(contractNoteAllocation),
  issuedAt: timestamp,
});

/** Event type -> schema of its `data`. Past tense: these are facts. */
export const eventDataSchemas = {
  tick_received: tickData,
  signal_generated: signalData,
  signal_validated: signalValidatedData,
  signal_rejected: signalRejectedData,
  order_submitted: orderSubmittedData,
  order_filled: orderFilledData,
  order_rejected: orderRejectedData,
  order_cancelled: orderCancelledData,
  pnl_snapshot: pnlSnapshotData,
  contract_note_issued: contractNoteIssuedData,
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

export type Tick = EventData<'tick_received'>;
export type Signal = EventData<'signal_generated'>;
export type SignalValidated = EventData<'signal_validated'>;
export type SignalRejected = EventData<'signal_rejected'>;
export type OrderSubmitted = EventData<'order_submitted'>;
export type OrderFilled = EventData<'order_filled'>;
export type OrderRejected = EventData<'order_rejected'>;
export type OrderCancelled = EventData<'order_cancelled'>;
export type PnlSnapshot = EventData<'pnl_snapshot'>;
export type ContractNoteIssued = EventData<'contract_note_issued'>;
export type Charges = z.infer<typeof charges>;
export type RuleResult = z.infer<typeof ruleResult>;

export const ENVELOPE_VERSION = 1;

const envelopeBase = z.object({
  id: z.uuid({ version: 'v7' }),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  ts: timestamp,
  source: z.string().min(1),
  namespace: z.enum([...BROKER_NAMESPACES, 'shared']),
  correlationId: z.uuid(),
  causationId: z.uuid().nullable(),
  version: z.literal(ENVELOPE_VERSION),
  data: z.unknown(),
});

export type Envelope<T extends EventType = EventType> = Omit<z.infer<typeof envelopeBase>, 'type' | 'data'> & {
  type: T;
  data: EventData<T>;
};

export class EventValidationError extends Error {
  override name = 'EventValidationError';
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(`${message}: ${issues.join('; ')}`);
  }
}

const describeIssues = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);

/** Validates an unknown value as an envelope whose data matches its type's schema. */
export function parseEnvelope(value: unknown): Envelope {
  const base = envelopeBase.safeParse(value);
  if (!base.success) throw new EventValidationError('invalid envelope', describeIssues(base.error));
  const data = eventDataSchemas[base.data.type].safeParse(base.data.data);
  if (!data.success) {
    throw new EventValidationError(`invalid ${base.data.type} data`, describeIssues(data.error).map((i) => `data.${i}`));
  }
  return { ...base.data, data: data.data } as Envelope;
}

/** Parses an envelope and checks it is of the expected type. */
export function parseEnvelopeOf<T extends EventType>(value: unknown, types: readonly T[]): Envelope<T> {
  const envelope = parseEnvelope(value);
  if (!(types as readonly string[]).includes(envelope.type)) {
    throw new EventValidationError('unexpected event type', [`got ${envelope.type}, expected ${types.join(' or ')}`]);
  }
  return envelope as Envelope<T>;
}

export interface NewEvent<T extends EventType> {
  type: T;
  source: string;
  namespace: Envelope['namespace'];
  data: EventData<T>;
  /** The event this one follows from; its correlation id is carried over. */
  cause?: Pick<Envelope, 'id' | 'correlationId'>;
  now?: Date;
  /** A fixed id (see ids.ts derivedEventId) so a replayed input yields the same event; default a fresh UUIDv7. */
  id?: string;
}

/** Builds a validated envelope with a fresh UUIDv7 id. */
export function createEvent<T extends EventType>(event: NewEvent<T>): Envelope<T> {
  const id = event.id ?? uuidv7();
  const data = eventDataSchemas[event.type].safeParse(event.data);
  if (!data.success) {
    throw new EventValidationError(`refusing to produce invalid ${event.type}`, describeIssues(data.error));
  }
  return {
    id,
    type: event.type,
    ts: (event.now ?? new Date()).toISOString(),
    source: event.source,
    namespace: event.namespace,
    correlationId: event.cause?.correlationId ?? id,
    causationId: event.cause?.id ?? null,
    version: ENVELOPE_VERSION,
    data: data.data as EventData<T>,
  };
}
