// Views waiting for the outcome of their strategy-instrument's market order (service.ts), in
// Redis as one LIST per field, oldest first:
//   {ns}:strategy-runner:deferred:<strategyId>:<instrumentToken>
//     JSON { "tick": { "id", "correlationId", "instrumentToken", "tradingsymbol", "lastPrice" },
//            "view": { "direction", "reason", "confidence" } }
// A batch appends views at the tail (RPUSH) and decides them from the head (LTRIM), so what it
// writes is what it changed, however many views wait: a rewritten list would cost a stalled
// pipeline the square of its backlog. Only what a signal is built from is kept of the tick.
//
// A field has views waiting only while one of its market orders is pending (its outcome releases
// them in the batch that brings it), so loading reads the lists of those fields alone.
import type { ChainableCommander, Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import type { SignalTick, StrategyView } from '../../core/domain/trading/strategies';
import { namespacedKey } from '../../core/redis/keys';

/** What a signal needs of the tick a view was taken on: its identity (the cause) and its prices. */
export interface DeferredTick extends SignalTick {
  id: string;
  correlationId: string;
}

export interface DeferredView {
  tick: DeferredTick;
  view: StrategyView;
}

/** `field` is `strategyId:instrumentToken`: its parts become the key's. */
export const runnerDeferredKey = (ns: BrokerNamespace, field: string) => namespacedKey(ns, 'strategy-runner', 'deferred', ...field.split(':'));

function parseView(text: string): DeferredView {
  const parsed = JSON.parse(text) as Partial<DeferredView>;
  const { tick, view } = parsed;
  const tickValid = typeof tick?.id === 'string' && typeof tick.correlationId === 'string' && Number.isSafeInteger(tick.lastPrice);
  if (!tickValid || (view?.direction !== 'BUY' && view?.direction !== 'SELL')) throw new Error('not a deferred view { tick, view }');
  return parsed as DeferredView;
}

/** The lists of `fields`; an unreadable one is reported and dropped (its views are lost, said so). */
export async function loadDeferred(
  redis: Redis,
  namespace: BrokerNamespace,
  fields: readonly string[],
  onCorrupt: (field: string, error: Error) => void,
): Promise<Map<string, readonly DeferredView[]>> {
  const lists = await Promise.all(fields.map((field) => redis.lrange(runnerDeferredKey(namespace, field), 0, -1)));
  const loaded = new Map<string, readonly DeferredView[]>();
  fields.forEach((field, index) => {
    const texts = lists[index]!;
    if (texts.length === 0) return;
    try {
      loaded.set(field, texts.map(parseView));
    } catch (error) {
      onCorrupt(field, error as Error);
    }
  });
  return loaded;
}

/** One field's change in a batch: views decided from the head of (committed, then appended). */
interface FieldChange {
  consumed: number;
  appended: DeferredView[];
}

/** A batch's overlay on the committed views: reaches them only through commit(). */
export class DeferredChanges {
  private readonly changes = new Map<string, FieldChange>();

  constructor(
    private readonly namespace: BrokerNamespace,
    private readonly committed: Map<string, readonly DeferredView[]>,
    /** Fields whose committed views are void (their strategy starts afresh). */
    private readonly voided: (field: string) => boolean,
  ) {}

  private committedOf(field: string): readonly DeferredView[] {
    return this.committed.get(field) ?? [];
  }

  private changeOf(field: string): FieldChange {
    let change = this.changes.get(field);
    if (!change) {
      change = { consumed: this.voided(field) ? this.committedOf(field).length : 0, appended: [] };
      this.changes.set(field, change);
    }
    return change;
  }

  /** The field's waiting views, oldest first. */
  of(field: string): readonly DeferredView[] {
    const change = this.changes.get(field);
    if (!change) return this.voided(field) ? [] : this.committedOf(field);
    return [...this.committedOf(field), ...change.appended].slice(change.consumed);
  }

  append(field: string, view: DeferredView): void {
    this.changeOf(field).appended.push(view);
  }

  /** The oldest `count` views were decided (or dropped). */
  consume(field: string, count: number): void {
    if (count > 0) this.changeOf(field).consumed += count;
  }

  /** Committed fields of void strategies that this batch did not touch: their lists go. */
  private voidedUntouched(): string[] {
    return [...this.committed.keys()].filter((field) => !this.changes.has(field) && this.voided(field));
  }

  persist(multi: ChainableCommander): void {
    for (const field of this.voidedUntouched()) multi.del(runnerDeferredKey(this.namespace, field));
    for (const [field, { consumed, appended }] of this.changes) {
      const key = runnerDeferredKey(this.namespace, field);
      const held = this.committedOf(field).length;
      // Nothing of the committed list survives: start the list again, so that a list left over
      // in Redis that this instance never loaded cannot come back ahead of the new views.
      if (consumed >= held) multi.del(key);
      else if (consumed > 0) multi.ltrim(key, consumed, -1);
      const fresh = appended.slice(Math.max(0, consumed - held));
      if (fresh.length > 0) multi.rpush(key, ...fresh.map((view) => JSON.stringify(view)));
    }
  }

  commit(): void {
    for (const field of this.voidedUntouched()) this.committed.delete(field);
    for (const [field] of this.changes) {
      const views = this.of(field);
      if (views.length === 0) this.committed.delete(field);
      else this.committed.set(field, views);
    }
  }
}
