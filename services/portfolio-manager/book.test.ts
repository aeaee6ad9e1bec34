import { describe, expect, it } from 'vitest';
import { createEvent, type Envelope, type OrderFilled } from '../../core/domain/events';
import { NO_CHARGES } from '../../core/domain/trading/charges';
import { applyFill, createPortfolio, markToMarket, RECONCILED_STRATEGY } from '../../core/domain/trading/portfolio';
import { makeTick, RELIANCE } from '../../core/domain/trading/testing';
import { applyBatch, currentView, type BookInput, type Books, type BookSettings } from './book';

const settings: BookSettings = { startingCash: 10_000_000, snapshotIntervalMs: 60_000 };
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 24, 4, 30, seconds)).toISOString();

function fill(seconds: number, side: 'BUY' | 'SELL', quantity: number, price: number, strategyId = 'momentum-1'): Envelope<'order_filled'> {
  const data: OrderFilled = {
    orderId: `o-${seconds}`,
    strategyId,
    instrumentToken: RELIANCE,
    tradingsymbol: 'RELIANCE',
    side,
    product: 'MIS',
    fillId: `o-${seconds}-1`,
    quantity,
    price,
    cumulativeQuantity: quantity,
    remainingQuantity: 0,
    charges: { ...NO_CHARGES, brokerage: 20, total: 20 },
    filledAt: at(seconds),
  };
  return createEvent({ type: 'order_filled', source: 'test', namespace: 'paper', data, now: new Date(at(seconds)) });
}

const tick = (seconds: number, price: number): Envelope<'tick_received'> =>
  createEvent({ type: 'tick_received', source: 'test', namespace: 'shared', data: makeTick(price), now: new Date(at(seconds)) });

const run = (books: Books, events: BookInput[]) => applyBatch(books, events, settings);

const allocation = (strategyId: string, adjustment: number) => ({
  strategyId,
  turnover: 2_500_000,
  charges: { ...NO_CHARGES, brokerage: 20 + adjustment, total: 20 + adjustment },
  estimate: { ...NO_CHARGES, brokerage: 20, total: 20 },
  adjustment,
});
const contractNote = (seconds: number, strategies: ReturnType<typeof allocation>[], tradingDate = '2026-11-24'): Envelope<'contract_note_issued'> =>
  createEvent({
    type: 'contract_note_issued',
    source: 'test',
    namespace: 'paper',
    data: { tradingDate, turnover: 2_500_000, totals: NO_CHARGES, estimate: NO_CHARGES, strategies, issuedAt: at(seconds) },
    now: new Date(at(seconds)),
  });

describe('portfolio books', () => {
  it("stamps each snapshot position with the sequence of the last fill it booked", () => {
    const events: BookInput[] = [fill(0, 'BUY', 10, 250_000), fill(61, 'SELL', 4, 251_000)];
    const offsets = new Map([[events[0]!.id, 17], [events[1]!.id, 42]]);
    const { snapshots } = applyBatch(new Map(), events, settings, (id) => offsets.get(id));
    expect(snapshots.map((s) => s.data.positions.map((p) => [p.quantity, p.fillSequence]))).toEqual([[[6, 42]]]);
  });

  it('books fills and marks to the latest tick exactly as the domain does event by event', () => {
    const events: BookInput[] = [fill(0, 'BUY', 10, 250_000), tick(1, 251_000), tick(2, 252_500), fill(3, 'SELL', 4, 253_000), tick(4, 249_000)];
    const { books, touched } = run(new Map(), events);
    let expected = createPortfolio(settings.startingCash);
    expected = applyFill(expected, events[0]!.data as OrderFilled);
    expected = markToMarket(expected, makeTick(251_000));
    expected = markToMarket(expected, makeTick(252_500));
    expected = applyFill(expected, events[3]!.data as OrderFilled);
    expected = markToMarket(expected, makeTick(249_000));
    expect(books.get('momentum-1')!.portfolio).toEqual(expected);
    expect(books.get('momentum-1')!.updatedAt).toBe(at(4));
    expect([...touched]).toEqual(['momentum-1']);
  });

  it('books a position adopted from the broker apart, in a book that starts with no cash', () => {
    const { books } = run(new Map(), [fill(1, 'BUY', 7, 250_000, RECONCILED_STRATEGY), fill(2, 'BUY', 5, 250_000), tick(3, 251_000)]);
    const adopted = currentView(books.get(RECONCILED_STRATEGY)!);
    // Paid for outside the platform: its value is the P&L since adoption, 7 x ₹10 here.
    expect(adopted).toMatchObject({ cash: -7 * 250_000 - 20, unrealizedPnl: 7_000, positions: [{ quantity: 7, averagePrice: 250_000 }] });
    expect(adopted.cash + 7 * 251_000).toBe(7_000 - 20);
    expect(currentView(books.get('momentum-1')!)).toMatchObject({ cash: settings.startingCash - 5 * 250_000 - 20, positions: [{ quantity: 5 }] });
  });

  it('leaves strategies that hold nothing of a ticking instrument untouched', () => {
    const first = run(new Map(), [fill(0, 'BUY', 1, 250_000)]);
    const tcs = (seconds: number, price: number) =>
      createEvent({ type: 'tick_received', source: 'test', namespace: 'shared', data: makeTick(price, { instrumentToken: 2_953_217, tradingsymbol: 'TCS' }), now: new Date(at(seconds)) });
    const second = run(first.books, [tcs(1, 350_000), tcs(2, 351_000)]);
    expect(second.touched.size).toBe(0);
    expect(second.books.get('momentum-1')).toBe(first.books.get('momentum-1'));
  });
});

describe('contract notes', () => {
  it('books each strategy\'s adjustment to charges and cash once per trading date', () => {
    const first = run(new Map(), [fill(0, 'BUY', 10, 250_000)]);
    const note = contractNote(30, [allocation('momentum-1', -7), allocation('rsi-1', 5)]);
    const booked = run(first.books, [note]);
    const momentum = booked.books.get('momentum-1')!;
    expect(momentum.portfolio).toMatchObject({ cash: 10_000_000 - 2_500_000 - 20 + 7, chargesPaid: 13, chargesAdjustment: -7 });
    expect(momentum.bookedNotes).toEqual({ '2026-11-24': note.id });
    expect(momentum.updatedAt).toBe(at(30));
    // A note before any fill of the strategy opens its book.
    expect(booked.books.get('rsi-1')!.portfolio).toMatchObject({ cash: 10_000_000 - 5, chargesPaid: 5, chargesAdjustment: 5 });
    expect([...booked.touched].sort()).toEqual(['momentum-1', 'rsi-1']);
    expect(currentView(momentum)).toMatchObject({ chargesPaid: 13, chargesAdjustment: -7 });

    // Another note of the same date (past the dedup marks' life) books nothing.
    const again = run(booked.books, [contractNote(40, [allocation('momentum-1', -7)])]);
    expect(again.books.get('momentum-1')).toBe(momentum);
    expect(again.touched.size).toBe(0);
    // The next day's note books.
    const next = run(booked.books, [contractNote(50, [allocation('momentum-1', 3)], '2026-11-25')]);
    expect(next.books.get('momentum-1')!.portfolio).toMatchObject({ chargesPaid: 16, chargesAdjustment: -4 });
  });
});

describe('portfolio snapshot schedule', () => {
  it('snapshots a changed strategy once the interval of event time has passed, as of the batch\'s latest event', () => {
    const first = run(new Map(), [fill(0, 'BUY', 10, 250_000)]);
    expect(first.snapshots).toEqual([]);
    const early = run(first.books, [tick(59, 251_000)]);
    expect(early.snapshots).toEqual([]);
    const ticks = [tick(60, 252_000), tick(61, 253_000)];
    const due = run(early.books, ticks);
    expect(due.snapshots).toHaveLength(1);
    expect(due.snapshots[0]!.data).toMatchObject({ strategyId: 'momentum-1', asOf: at(61), unrealizedPnl: 30_000, cash: 10_000_000 - 2_500_000 - 20 });
    expect(due.books.get('momentum-1')).toMatchObject({ lastSnapshotAt: at(61), changedSinceSnapshot: false, lastSnapshotEventId: due.snapshots[0]!.id });
    // Same batch again (a replay): the same snapshot id.
    expect(run(early.books, ticks).snapshots[0]!.id).toBe(due.snapshots[0]!.id);
  });

  it('takes no snapshot of a strategy that did not change since its last one', () => {
    const first = run(new Map(), [fill(0, 'BUY', 10, 250_000), fill(1, 'BUY', 1, 100_000, 'rsi-1')]);
    const due = run(first.books, [tick(70, 252_000)]);
    // rsi-1 bought at 100,000 and RELIANCE now trades at 252,000: it changed too.
    expect(due.snapshots.map((s) => s.data.strategyId).sort()).toEqual(['momentum-1', 'rsi-1']);
    const unchanged = run(due.books, [tick(200, 252_000)]);
    expect(unchanged.snapshots).toEqual([]);
    const moved = run(unchanged.books, [tick(201, 252_500)]);
    expect(moved.snapshots.map((s) => s.data.asOf)).toEqual([at(201), at(201)]);
  });
});
