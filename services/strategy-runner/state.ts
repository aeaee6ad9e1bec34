// The strategy runner's state, in memory and in Redis.
//
// Redis layout (one namespace; fields are `strategyId:instrumentToken`, as the signal key):
//   {ns}:strategy-runner:state      HASH field -> JSON { "fingerprint": "<type+parameters hash>",
//                                                        "state": <the strategy type's state> }
//   {ns}:strategy-runner:positions  HASH field -> signed quantity held (shares), summed from
//                                                 {ns}.orders.filled
//   (plus the dedup marks {ns}:dedup:strategy-runner:<event id> written by processOnce)
//
// A batch works on an overlay of the committed state; its changes go into the batch's MULTI
// (persist) and reach the committed state only once that MULTI succeeded (commit), so a batch
// that is retried starts again from exactly what Redis holds.
import type { ChainableCommander, Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { strategyInstrumentKey } from '../../core/domain/topics';
import { namespacedKey } from '../../core/redis/keys';

export const STRATEGY_RUNNER = 'strategy-runner';

export const runnerStateKey = (ns: BrokerNamespace) => namespacedKey(ns, STRATEGY_RUNNER, 'state');
export const runnerPositionsKey = (ns: BrokerNamespace) => namespacedKey(ns, STRATEGY_RUNNER, 'positions');

/** `strategyId:instrumentToken`, the same text as the signal's message key. */
export const stateField = strategyInstrumentKey;
const strategyOfField = (field: string) => field.slice(0, field.lastIndexOf(':'));

export interface StoredStrategyState {
  fingerprint: string;
  state: unknown;
}

export class RunnerState {
  private constructor(
    private readonly namespace: BrokerNamespace,
    private readonly states: Map<string, StoredStrategyState>,
    private readonly positions: Map<string, number>,
  ) {}

  /** What the last committed batch left in Redis; unreadable entries restart from scratch. */
  static async load(redis: Redis, namespace: BrokerNamespace, onCorrupt: (field: string, error: Error) => void): Promise<RunnerState> {
    const [storedStates, storedPositions] = await Promise.all([
      redis.hgetall(runnerStateKey(namespace)),
      redis.hgetall(runnerPositionsKey(namespace)),
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
    return new RunnerState(namespace, states, positions);
  }

  get size(): { states: number; positions: number } {
    return { states: this.states.size, positions: this.positions.size };
  }

  /**
   * A working copy for one batch. `resetStrategies` start from their initial state: their saved
   * state is deleted with the batch (a strategy switched off, or switched on again, warms up anew).
   */
  begin(resetStrategies: ReadonlySet<string>): RunnerBatch {
    return new RunnerBatch(this.namespace, this.states, this.positions, resetStrategies);
  }
}

export class RunnerBatch {
  private readonly stateChanges = new Map<string, StoredStrategyState>();
  private readonly positionChanges = new Map<string, number>();

  constructor(
    private readonly namespace: BrokerNamespace,
    private readonly states: Map<string, StoredStrategyState>,
    private readonly positions: Map<string, number>,
    private readonly resetStrategies: ReadonlySet<string>,
  ) {}

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
  }

  /** Call once the batch's MULTI succeeded. */
  commit(): void {
    for (const field of this.resetFields()) this.states.delete(field);
    for (const [field, stored] of this.stateChanges) this.states.set(field, stored);
    for (const [field, quantity] of this.positionChanges) this.positions.set(field, quantity);
  }
}
