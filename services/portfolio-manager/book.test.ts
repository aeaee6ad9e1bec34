import { describe, expect, it } from 'vitest';
import { createEvent, type Envelope, type OrderFilled } from '../../core/domain/events';
import { NO_CHARGES } from '../../core/domain/trading/charges';
import { applyFill, createPortfolio, markToMarket } from '../../core/domain/trading/portfolio';
import { makeTick, RELIANCE } from '../../core/domain/trading/testing';
import { applyBatch, type BookInput, type Books, type BookSettings } from './book';

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

describe('portfolio books', () => {
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

  it('leaves strategies that hold nothing of a ticking instrument untouched', () => {
    const first = run(new Map(), [fill(0, 'BUY', 1, 250_000)]);
    const tcs = (seconds: number, price: number) =>
      createEvent({ type: 'tick_received', source: 'test', namespace: 'shared', data: makeTick(price, { instrumentToken: 2_953_217, tradingsymbol: 'TCS' }), now: new Date(at(seconds)) });
    const second = run(first.books, [tcs(1, 350_000), tcs(2, 351_000)]);
    expect(second.touched.size).toBe(0);
    expect(second.books.get('momentum-1')).toBe(first.books.get('momentum-1'));
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
