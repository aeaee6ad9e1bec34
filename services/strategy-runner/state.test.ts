import type { ChainableCommander } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RunnerState, runnerPendingKey, runnerPositionsKey, type DeferredView, type PendingOrder, type RunnerBatch } from './state';

const FIELD = 'mom:738561';
const OTHER = 'mom:341249';
const order = (side: 'BUY' | 'SELL', quantity: number, field = FIELD, holdsViews = false): PendingOrder => ({
  field,
  side,
  quantity,
  signalId: `signal-of-${side}-${quantity}`,
  holdsViews,
});

/** A MULTI that records what a batch would write, applied to plain maps like Redis would. */
function recordingMulti() {
  const hashes = new Map<string, Map<string, string>>();
  const hash = (key: string) => hashes.get(key) ?? hashes.set(key, new Map()).get(key)!;
  const multi = {
    hset(key: string, values: Record<string, string | number>) {
      for (const [field, value] of Object.entries(values)) hash(key).set(field, String(value));
      return multi;
    },
    hdel(key: string, ...fields: string[]) {
      for (const field of fields) hash(key).delete(field);
      return multi;
    },
    // The deferred views' lists (deferred.test.ts checks what is written to them).
    del: () => multi,
    ltrim: () => multi,
    rpush: () => multi,
  };
  return { multi: multi as unknown as ChainableCommander, hash };
}

/** Persists and commits a batch; returns what Redis would hold for the pending hash afterwards. */
function commit(batch: RunnerBatch, pendingBefore: Map<string, string> = new Map()) {
  const recorder = recordingMulti();
  for (const [field, value] of pendingBefore) recorder.hash(runnerPendingKey('paper')).set(field, value);
  batch.persist(recorder.multi);
  batch.commit();
  return {
    pending: recorder.hash(runnerPendingKey('paper')),
    positions: recorder.hash(runnerPositionsKey('paper')),
  };
}

const deferredView = (price: number): DeferredView => ({
  tick: { id: `tick-at-${price}`, correlationId: 'c', instrumentToken: 738_561, tradingsymbol: 'RELIANCE', lastPrice: price },
  view: { direction: 'SELL', reason: `view at ${price}`, confidence: 0.5 },
});

describe('the runner state: pending orders', () => {
  it('counts an emitted signal as pending per side and field until it ends', () => {
    const state = new RunnerState('paper');
    const batch = state.begin(new Set());
    batch.signalEmitted('order-1', order('BUY', 10));
    batch.signalEmitted('order-2', order('SELL', 4));
    batch.signalEmitted('order-3', order('BUY', 7, OTHER));
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 10, sell: 4, holding: 0 });
    expect(batch.pendingOf(OTHER)).toEqual({ buy: 7, sell: 0, holding: 0 });
    batch.orderEnded('order-2');
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 10, sell: 0, holding: 0 });
  });

  it('reduces a pending order by its fills and ends it when nothing remains, moving the position', () => {
    const state = new RunnerState('paper', { pending: new Map([['order-1', order('BUY', 10)]]) });
    const batch = state.begin(new Set());
    batch.orderFilled('order-1', FIELD, 'BUY', 4, 6);
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 6, sell: 0, holding: 0 });
    expect(batch.positionOf(FIELD)).toBe(4);
    batch.orderFilled('order-1', FIELD, 'BUY', 6, 0);
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 0, sell: 0, holding: 0 });
    expect(batch.positionOf(FIELD)).toBe(10);
  });

  it('ends an order whose venue reports nothing remaining though it was approved for less', () => {
    const state = new RunnerState('paper', { pending: new Map([['order-1', order('BUY', 10)]]) });
    const batch = state.begin(new Set());
    batch.orderFilled('order-1', FIELD, 'BUY', 8, 0);
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 0, sell: 0, holding: 0 });
  });

  it('moves the position for fills of orders it never asked for (engine exits), pending untouched', () => {
    const state = new RunnerState('paper', { positions: new Map([[FIELD, 10]]), pending: new Map([['order-1', order('SELL', 10)]]) });
    const batch = state.begin(new Set());
    batch.orderFilled('stop-loss-of-entry', FIELD, 'SELL', 10, 0);
    batch.orderEnded('some-other-order');
    expect(batch.positionOf(FIELD)).toBe(0);
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 0, sell: 10, holding: 0 });
  });

  it('reaches the committed state and Redis only on commit, so a retried batch starts from what Redis holds', () => {
    const state = new RunnerState('paper', { pending: new Map([['order-1', order('BUY', 10)]]) });
    const abandoned = state.begin(new Set());
    abandoned.orderEnded('order-1');
    abandoned.signalEmitted('order-2', order('SELL', 3));
    // Never committed (its MULTI failed): the next attempt sees the committed state.
    const retry = state.begin(new Set());
    expect(retry.pendingOf(FIELD)).toEqual({ buy: 10, sell: 0, holding: 0 });

    retry.orderFilled('order-1', FIELD, 'BUY', 4, 6);
    retry.signalEmitted('order-2', order('SELL', 3, OTHER));
    const stored = commit(retry, new Map([['order-1', JSON.stringify(order('BUY', 10))]]));
    expect(Object.fromEntries([...stored.pending].map(([id, text]) => [id, JSON.parse(text) as unknown]))).toEqual({
      'order-1': { ...order('BUY', 10), quantity: 6 },
      'order-2': order('SELL', 3, OTHER),
    });
    expect(Object.fromEntries(stored.positions)).toEqual({ [FIELD]: '4' });

    const next = state.begin(new Set());
    expect(next.pendingOf(FIELD)).toEqual({ buy: 6, sell: 0, holding: 0 });
    expect(next.pendingOf(OTHER)).toEqual({ buy: 0, sell: 3, holding: 0 });
    next.orderEnded('order-1');
    next.orderEnded('order-2');
    const emptied = commit(next, stored.pending);
    expect(emptied.pending.size).toBe(0);
    expect(state.begin(new Set()).pendingOf(FIELD)).toEqual({ buy: 0, sell: 0, holding: 0 });
    expect(state.size.pending).toBe(0);
  });

  it('keeps pending orders when a strategy is reset: they are facts of the venue, like positions', () => {
    const state = new RunnerState('paper', { pending: new Map([['order-1', order('BUY', 10)]]) });
    const batch = state.begin(new Set(['mom']));
    expect(batch.stateOf(FIELD, 'mom', 'fp')).toBeUndefined();
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 10, sell: 0, holding: 0 });
  });
});

describe('the runner state: views waiting for a market order', () => {
  it('counts the pending orders that hold views, market orders only', () => {
    const state = new RunnerState('paper');
    const batch = state.begin(new Set());
    batch.signalEmitted('market', order('BUY', 10, FIELD, true));
    batch.signalEmitted('limit', order('BUY', 5, OTHER, false));
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 10, sell: 0, holding: 1 });
    expect(batch.pendingOf(OTHER)).toEqual({ buy: 5, sell: 0, holding: 0 });
    expect(batch.orderEnded('market')).toBe(FIELD);
    expect(batch.orderEnded('never-pending')).toBeUndefined();
    expect(batch.pendingOf(FIELD)).toEqual({ buy: 0, sell: 0, holding: 0 });
  });

  it('keeps deferred views in the batch until it commits (deferred.test.ts has the Redis side)', () => {
    const state = new RunnerState('paper');
    const first = state.begin(new Set());
    first.defer(FIELD, deferredView(100_000));
    first.defer(FIELD, deferredView(100_500));
    expect(first.deferredOf(FIELD)).toEqual([deferredView(100_000), deferredView(100_500)]);
    // Not committed: a retried batch starts without them.
    expect(state.begin(new Set()).deferredOf(FIELD)).toEqual([]);
    first.persist(recordingMulti().multi);
    first.commit();
    const second = state.begin(new Set());
    second.consumeDeferred(FIELD, 1);
    expect(second.deferredOf(FIELD)).toEqual([deferredView(100_500)]);
    second.consumeDeferred(FIELD, 1);
    second.persist(recordingMulti().multi);
    second.commit();
    expect(state.size.deferred).toBe(0);
  });

  it('drops the views a reset strategy left waiting', () => {
    const state = new RunnerState('paper', { deferred: new Map([[FIELD, [deferredView(100_000)]]]) });
    const batch = state.begin(new Set(['mom']));
    expect(batch.deferredOf(FIELD)).toEqual([]);
    batch.persist(recordingMulti().multi);
    batch.commit();
    expect(state.size.deferred).toBe(0);
  });
});
