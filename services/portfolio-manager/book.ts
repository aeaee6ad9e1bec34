// The portfolio manager's bookkeeping, pure: per strategy a book holding its portfolio (positions,
// cash, realized P&L, charges: core/domain/trading/portfolio.ts) and its snapshot schedule. A
// batch of fills and ticks gives the next books, which strategies changed, and the snapshots due.
//
// Snapshot schedule, on event time (fill and tick times, never the wall clock, so a replay takes
// the same snapshots): a strategy's first event starts its clock; once a batch's latest event is
// PORTFOLIO__SNAPSHOT_INTERVAL_MS or more past the strategy's previous snapshot (or that start)
// and the strategy changed meanwhile, a snapshot is taken as of that event.
//
// A day's contract note books, per strategy, its allocated charges minus the per-fill estimates
// (the note's adjustment) to charges and cash. The note's event id is derived from its namespace
// and date, so the stage's dedup drops a re-issued note; the book also remembers the dates it
// booked, which still holds once that dedup mark has expired.
import type { Envelope, PnlSnapshot } from '../../core/domain/events';
import { derivedEventId } from '../../core/domain/ids';
import { applyChargesAdjustment, applyFill, createPortfolio, markToMarket, snapshot, startingCashOf, type PortfolioState } from '../../core/domain/trading/portfolio';

export interface StrategyBook {
  strategyId: string;
  portfolio: PortfolioState;
  /** Event time of the latest event applied. */
  updatedAt: string;
  /** Event time of the last snapshot; before the first one, of the strategy's first event. */
  lastSnapshotAt: string;
  lastSnapshotEventId: string | null;
  changedSinceSnapshot: boolean;
  /** Trading date -> id of the contract note event booked for it. */
  bookedNotes?: Record<string, string>;
}

export type Books = ReadonlyMap<string, StrategyBook>;

export interface BookSettings {
  startingCash: number;
  snapshotIntervalMs: number;
}

export interface SnapshotTaken {
  /** Derived from the batch's last event and the strategy, so a replayed batch re-emits it. */
  id: string;
  data: PnlSnapshot;
  cause: Envelope;
}

export interface BatchResult {
  books: Map<string, StrategyBook>;
  /** Strategies whose book changed (their Redis state must be written). */
  touched: Set<string>;
  snapshots: SnapshotTaken[];
}

export type BookInput = Envelope<'order_filled'> | Envelope<'tick_received'> | Envelope<'contract_note_issued'>;

const millis = (at: string) => Date.parse(at);
const later = (a: string, b: string) => (millis(b) > millis(a) ? b : a);

/** When the event happened: a fill's fill time, a note's issue time, a tick's envelope time (the engine's tick clock). */
export const eventTime = (envelope: BookInput): string => {
  if (envelope.type === 'order_filled') return (envelope as Envelope<'order_filled'>).data.filledAt;
  if (envelope.type === 'contract_note_issued') return (envelope as Envelope<'contract_note_issued'>).data.issuedAt;
  return envelope.ts;
};

/** The figures readers show: the portfolio marked to its latest prices, as of its last event. */
export const currentView = (book: StrategyBook): PnlSnapshot => snapshot(book.portfolio, book.strategyId, book.updatedAt);

/** `sequenceOf` gives a fill event's place in its strategy-instrument's log (its offset), when known. */
export function applyBatch(
  committed: Books,
  events: readonly BookInput[],
  settings: BookSettings,
  sequenceOf?: (eventId: string) => number | undefined,
): BatchResult {
  const books = new Map(committed);
  const touched = new Set<string>();
  // Only an instrument's latest price matters to a mark, so consecutive ticks are folded and
  // applied when a fill (or the end of the batch) needs the marks to be current.
  const marks = new Map<number, Envelope<'tick_received'>>();

  const applyMarks = () => {
    for (const [token, tick] of marks) {
      const key = String(token);
      for (const [strategyId, book] of books) {
        if (!(key in book.portfolio.positions) || book.portfolio.lastPrices[key] === tick.data.lastPrice) continue;
        books.set(strategyId, {
          ...book,
          portfolio: markToMarket(book.portfolio, tick.data),
          updatedAt: later(book.updatedAt, tick.ts),
          changedSinceSnapshot: true,
        });
        touched.add(strategyId);
      }
    }
    marks.clear();
  };

  let batchTime: string | null = null;
  for (const envelope of events) {
    const at = eventTime(envelope);
    batchTime = batchTime === null ? at : later(batchTime, at);
    if (envelope.type === 'tick_received') {
      const tick = envelope as Envelope<'tick_received'>;
      marks.set(tick.data.instrumentToken, tick);
      continue;
    }
    applyMarks();
    const newBook = (strategyId: string): StrategyBook => ({
      strategyId,
      portfolio: createPortfolio(startingCashOf(strategyId, settings.startingCash)),
      updatedAt: at,
      lastSnapshotAt: at,
      lastSnapshotEventId: null,
      changedSinceSnapshot: false,
    });
    if (envelope.type === 'contract_note_issued') {
      const note = (envelope as Envelope<'contract_note_issued'>).data;
      for (const { strategyId, adjustment } of note.strategies) {
        const book = books.get(strategyId) ?? newBook(strategyId);
        if (book.bookedNotes?.[note.tradingDate]) continue;
        books.set(strategyId, {
          ...book,
          portfolio: applyChargesAdjustment(book.portfolio, adjustment),
          bookedNotes: { ...book.bookedNotes, [note.tradingDate]: envelope.id },
          updatedAt: later(book.updatedAt, at),
          changedSinceSnapshot: true,
        });
        touched.add(strategyId);
      }
      continue;
    }
    const fill = (envelope as Envelope<'order_filled'>).data;
    const book = books.get(fill.strategyId) ?? newBook(fill.strategyId);
    books.set(fill.strategyId, {
      ...book,
      portfolio: applyFill(book.portfolio, fill, sequenceOf?.(envelope.id)),
      updatedAt: later(book.updatedAt, at),
      changedSinceSnapshot: true,
    });
    touched.add(fill.strategyId);
  }
  applyMarks();

  const snapshots: SnapshotTaken[] = [];
  const last = events.at(-1);
  if (batchTime !== null && last) {
    for (const [strategyId, book] of books) {
      if (!book.changedSinceSnapshot || millis(batchTime) - millis(book.lastSnapshotAt) < settings.snapshotIntervalMs) continue;
      const id = derivedEventId(last.id, `pnl_snapshot:${strategyId}`);
      snapshots.push({ id, data: snapshot(book.portfolio, strategyId, batchTime), cause: last });
      books.set(strategyId, { ...book, lastSnapshotAt: batchTime, lastSnapshotEventId: id, changedSinceSnapshot: false });
      touched.add(strategyId);
    }
  }
  return { books, touched, snapshots };
}
