// The strategy runner's state, in memory and in Redis.
//
// Redis layout (one namespace; fields are `strategyId:instrumentToken`, as the signal key):
//   {ns}:strategy-runner:state      HASH field -> JSON { "fingerprint": "<type+parameters hash>",
//                                                        "state": <the strategy type's state> }
//   {ns}:strategy-runner:positions  HASH field -> signed quantity held (shares), summed from
//                                                 {ns}.orders.filled
//   {ns}:strategy-runner:pending    HASH order id -> JSON { "field", "side", "quantity",
//                                                           "signalId", "holdsViews" }: the
//                                                 unfilled rest of each order a signal of the
//                                                 runner asked for
//   {ns}:strategy-runner:deferred:<field>  the views waiting for the field's market order
//                                                 (deferred.ts)
//   (plus the dedup marks {ns}:dedup:strategy-runner:<event id> written by processOnce)
//
// A pending order is keyed by the id the trading engine will give it, derived from the signal's
// event id (orderIdFor(riskDecisionId(signalId))), so its fills, rejection and cancellation find
// it, and so does the risk manager's rejection of the signal (whose cause is the signal). It ends
// only by one of those answers: a signal that never gets one stays pending, and keeps its
// strategy from entering that instrument again, until it is removed by hand (HDEL of its order id).
//
// A batch works on an overlay of the committed state; its changes go into the batch's MULTI
// (persist) and reach the committed state only once that MULTI succeeded (commit), so a batch
// that is retried starts again from exactly what Redis holds.
import type { ChainableCommander, Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { strategyInstrumentKey } from '../../core/domain/topics';
import { namespacedKey } from '../../core/redis/keys';
import { DeferredChanges, loadDeferred, type DeferredView } from './deferred';

export { runnerDeferredKey, type DeferredView } from './deferred';

export const STRATEGY_RUNNER = 'strategy-runner';

export const runnerStateKey = (ns: BrokerNamespace) => namespacedKey(ns, STRATEGY_RUNNER, 'state');
export const runnerPositionsKey = (ns: BrokerNamespace) => namespacedKey(ns, STRATEGY_RUNNER, 'positions');
export const runnerPendingKey = (ns: BrokerNamespace) => namespacedKey(ns, STRATEGY_RUNNER, 'pending');

/** `strategyId:instrumentToken`, the same text as the signal's message key. */
export const stateField = strategyInstrumentKey;
export const strategyOfField = (field: string) => field.slice(0, field.lastIndexOf(':'));

export interface StoredStrategyState {
  fingerprint: string;
  state: unknown;
}

/** The unfilled rest of an order that one of the runner's signals asked for. */
export interface PendingOrder {
  /** `strategyId:instrumentToken`. */
  field: string;
  side: 'BUY' | 'SELL';
  /** Shares not filled yet; always positive (a fully filled order is no longer pending). */
  quantity: number;
  /** The signal's event id, for whoever reads Redis. */
  signalId: string;
  /**
   * A market order: its outcome (fill, rejection) comes without waiting on the market, so the
   * field's later views wait for it (service.ts). A limit order may rest all day: views go on.
   */
  holdsViews: boolean;
}

export interface PendingQuantity {
  buy: number;
  sell: number;
  /** How many of the pending orders hold the field's views. */
  holding: number;
}

const NOTHING_PENDING: PendingQuantity = Object.freeze({ buy: 0, sell: 0, holding: 0 });

function parsePending(text: string): PendingOrder {
  const parsed = JSON.parse(text) as Partial<PendingOrder>;
  const { field, side, quantity, signalId, holdsViews } = parsed;
  if (typeof field !== 'string' || (side !== 'BUY' && side !== 'SELL') || !Number.isSafeInteger(quantity) || quantity! <= 0 || typeof signalId !== 'string') {
    throw new Error('not a pending order { field, side, quantity > 0, signalId }');
  }
  // Written before views were held: such an order holds nothing.
  return { field, side, quantity: quantity!, signalId, holdsViews: holdsViews === true };
}

function totalsOf(orders: ReadonlyMap<string, PendingOrder>): Map<string, PendingQuantity> {
  const totals = new Map<string, PendingQuantity>();
  for (const order of orders.values()) totals.set(order.field, adjusted(totals.get(order.field) ?? NOTHING_PENDING, order, 1));
  return totals;
}

/** `total` with `order`'s quantity added (sign 1) or removed (sign -1). */
function adjusted(total: PendingQuantity, order: PendingOrder, sign: 1 | -1): PendingQuantity {
  const delta = sign * order.quantity;
  const holding = total.holding + (order.holdsViews ? sign : 0);
  return order.side === 'BUY' ? { buy: total.buy + delta, sell: total.sell, holding } : { buy: total.buy, sell: total.sell + delta, holding };
}

/** What the runner's state is built from; load() reads it from Redis. */
export interface RunnerStateContents {
  states?: ReadonlyMap<string, StoredStrategyState>;
  positions?: ReadonlyMap<string, number>;
  pending?: ReadonlyMap<string, PendingOrder>;
  deferred?: ReadonlyMap<string, readonly DeferredView[]>;
}

export class RunnerState {
  private readonly states: Map<string, StoredStrategyState>;
  private readonly positions: Map<string, number>;
  private readonly pending: PendingBook;
  private readonly deferred: Map<string, readonly DeferredView[]>;

  constructor(
    private readonly namespace: BrokerNamespace,
    contents: RunnerStateContents = {},
  ) {
    this.states = new Map(contents.states);
    this.positions = new Map(contents.positions);
    const orders = new Map(contents.pending);
    this.pending = { orders, totals: totalsOf(orders) };
    this.deferred = new Map(contents.deferred);
  }

  /** What the last committed batch left in Redis; unreadable entries restart from scratch. */
  static async load(redis: Redis, namespace: BrokerNamespace, onCorrupt: (field: string, error: Error) => void): Promise<RunnerState> {
    const [storedStates, storedPositions, storedPending] = await Promise.all([
      redis.hgetall(runnerStateKey(namespace)),
      redis.hgetall(runnerPositionsKey(namespace)),
      redis.hgetall(runnerPendingKey(namespace)),
    ]);
    const states = new Map<string, StoredStrategyState>();
    for (const [field, text] of Object.entries(storedStates)) {
      try {
        const parsed = JSON.parse(text) as Partial<StoredStrategyState>;
        if (typeof parsed.fingerprint !== 'string' || !('state' in parsed)) throw new Error('missing fingerprint or state');
        states.set(field, { fingerprint: parsed.fingerprint, state: parsed.state });
      } catch (error) {
        onCorrupt(field, error as Error);
      }
    }
    const positions = new Map<string, number>();
    for (const [field, text] of Object.entries(storedPositions)) {
      const quantity = Number(text);
      if (Number.isSafeInteger(quantity)) positions.set(field, quantity);
      else onCorrupt(field, new Error(`position ${JSON.stringify(text)} is not a whole number`));
    }
    const pending = new Map<string, PendingOrder>();
    for (const [orderId, text] of Object.entries(storedPending)) {
      try {
        pending.set(orderId, parsePending(text));
      } catch (error) {
        onCorrupt(orderId, error as Error);
      }
    }
    const holding = [...totalsOf(pending)].filter(([, total]) => total.holding > 0).map(([field]) => field);
    const deferred = await loadDeferred(redis, namespace, holding, onCorrupt);
    return new RunnerState(namespace, { states, positions, pending, deferred });
  }

  get size(): { states: number; positions: number; pending: number; deferred: number } {
    return { states: this.states.size, positions: this.positions.size, pending: this.pending.orders.size, deferred: this.deferred.size };
  }

  /**
   * A working copy for one batch. `resetStrategies` start from their initial state: their saved
   * state is deleted with the batch (a strategy switched off, or switched on again, warms up anew).
   */
  begin(resetStrategies: ReadonlySet<string>): RunnerBatch {
    return new RunnerBatch(this.namespace, this.states, this.positions, this.pending, this.deferred, resetStrategies);
  }
}

/** Pending orders by order id, and their sums per field (what strategies are told). */
interface PendingBook {
  orders: Map<string, PendingOrder>;
  totals: Map<string, PendingQuantity>;
}

export class RunnerBatch {
  private readonly stateChanges = new Map<string, StoredStrategyState>();
  private readonly positionChanges = new Map<string, number>();
  /** order id -> its new rest, or null once it is no longer pending. */
  private readonly pendingChanges = new Map<string, PendingOrder | null>();
  private readonly pendingTotalChanges = new Map<string, PendingQuantity>();
  private readonly deferredChanges: DeferredChanges;

  constructor(
    private readonly namespace: BrokerNamespace,
    private readonly states: Map<string, StoredStrategyState>,
    private readonly positions: Map<string, number>,
    private readonly pending: PendingBook,
    deferred: Map<string, readonly DeferredView[]>,
    private readonly resetStrategies: ReadonlySet<string>,
  ) {
    // A strategy starting afresh drops the views its previous run left waiting.
    this.deferredChanges = new DeferredChanges(namespace, deferred, (field) => resetStrategies.has(strategyOfField(field)));
  }

  /** The state to resume for a field, or undefined to start from the strategy's initial state. */
  stateOf(field: string, strategyId: string, fingerprint: string): unknown {
    const changed = this.stateChanges.get(field);
    if (changed) return changed.state;
    if (this.resetStrategies.has(strategyId)) return undefined;
    const stored = this.states.get(field);
    return stored?.fingerprint === fingerprint ? stored.state : undefined;
  }

  setState(field: string, fingerprint: string, state: unknown): void {
    this.stateChanges.set(field, { fingerprint, state });
  }

  positionOf(field: string): number {
    return this.positionChanges.get(field) ?? this.positions.get(field) ?? 0;
  }

  addToPosition(field: string, signedQuantity: number): void {
    this.positionChanges.set(field, this.positionOf(field) + signedQuantity);
  }

  /** Shares of the field's signals not filled yet and not ended. */
  pendingOf(field: string): PendingQuantity {
    return this.pendingTotalChanges.get(field) ?? this.pending.totals.get(field) ?? NOTHING_PENDING;
  }

  private pendingOrder(orderId: string): PendingOrder | undefined {
    const changed = this.pendingChanges.get(orderId);
    return changed === null ? undefined : (changed ?? this.pending.orders.get(orderId));
  }

  private setPendingOrder(orderId: string, next: PendingOrder | null): void {
    const previous = this.pendingOrder(orderId);
    if (previous) this.pendingTotalChanges.set(previous.field, adjusted(this.pendingOf(previous.field), previous, -1));
    if (next) this.pendingTotalChanges.set(next.field, adjusted(this.pendingOf(next.field), next, 1));
    this.pendingChanges.set(orderId, next);
  }

  /** A signal the runner emitted: its order is pending from now on. */
  signalEmitted(orderId: string, order: PendingOrder): void {
    this.setPendingOrder(orderId, order);
  }

  /**
   * A fill of any order of the field: the position moves; an order the runner asked for is
   * pending for less, and not at all once the venue reports nothing remaining.
   */
  orderFilled(orderId: string, field: string, side: 'BUY' | 'SELL', quantity: number, remainingQuantity: number): void {
    this.addToPosition(field, side === 'BUY' ? quantity : -quantity);
    const order = this.pendingOrder(orderId);
    if (!order) return; // an exit or square-off the engine placed: never pending
    const rest = order.quantity - quantity;
    this.setPendingOrder(orderId, rest > 0 && remainingQuantity > 0 ? { ...order, quantity: rest } : null);
  }

  /**
   * The signal was rejected, or its order rejected or cancelled: whatever had not filled never
   * will. Returns the order's field, or undefined when it was not pending.
   */
  orderEnded(orderId: string): string | undefined {
    const order = this.pendingOrder(orderId);
    if (order) this.setPendingOrder(orderId, null);
    return order?.field;
  }

  /** The field's views waiting for its market order's outcome, oldest first. */
  deferredOf(field: string): readonly DeferredView[] {
    return this.deferredChanges.of(field);
  }

  /** A view that waits, after those already waiting. */
  defer(field: string, view: DeferredView): void {
    this.deferredChanges.append(field, view);
  }

  /** The field's oldest `count` waiting views were decided, or dropped. */
  consumeDeferred(field: string, count: number): void {
    this.deferredChanges.consume(field, count);
  }

  private resetFields(): string[] {
    if (this.resetStrategies.size === 0) return [];
    return [...this.states.keys()].filter((field) => this.resetStrategies.has(strategyOfField(field)));
  }

  persist(multi: ChainableCommander): void {
    const stale = this.resetFields().filter((field) => !this.stateChanges.has(field));
    if (stale.length > 0) multi.hdel(runnerStateKey(this.namespace), ...stale);
    if (this.stateChanges.size > 0) {
      const values: Record<string, string> = {};
      for (const [field, stored] of this.stateChanges) values[field] = JSON.stringify(stored);
      multi.hset(runnerStateKey(this.namespace), values);
    }
    if (this.positionChanges.size > 0) {
      multi.hset(runnerPositionsKey(this.namespace), Object.fromEntries(this.positionChanges));
    }
    const ended = [...this.pendingChanges].filter(([, order]) => order === null).map(([orderId]) => orderId);
    const open = [...this.pendingChanges].filter((entry): entry is [string, PendingOrder] => entry[1] !== null);
    if (ended.length > 0) multi.hdel(runnerPendingKey(this.namespace), ...ended);
    if (open.length > 0) {
      multi.hset(runnerPendingKey(this.namespace), Object.fromEntries(open.map(([orderId, order]) => [orderId, JSON.stringify(order)])));
    }
    this.deferredChanges.persist(multi);
  }

  /** Call once the batch's MULTI succeeded. */
  commit(): void {
    for (const field of this.resetFields()) this.states.delete(field);
    for (const [field, stored] of this.stateChanges) this.states.set(field, stored);
    for (const [field, quantity] of this.positionChanges) this.positions.set(field, quantity);
    for (const [orderId, order] of this.pendingChanges) {
      if (order) this.pending.orders.set(orderId, order);
      else this.pending.orders.delete(orderId);
    }
    for (const [field, total] of this.pendingTotalChanges) {
      if (total.buy === 0 && total.sell === 0) this.pending.totals.delete(field);
      else this.pending.totals.set(field, total);
    }
    this.deferredChanges.commit();
  }
}
