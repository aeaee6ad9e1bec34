// The namespace's active strategies, read from `strategy_configurations` and kept current by
// re-reading the (small) table every STRATEGIES__REFRESH_INTERVAL_MS in the background, never on
// the tick path. A full read rather than a `max(updated_at)` probe: it costs the same for a few
// dozen rows and also sees edits that did not touch updated_at (there is no trigger).
//
// Each row is validated by the domain's loadStrategy once per change of its content: a strategy
// with invalid parameters is skipped with an error log naming it and every offending field, and
// the others run.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { loadStrategy, StrategyConfigError, type LoadedStrategy } from '../../core/domain/trading/strategies';

const SELECT_ACTIVE_STRATEGIES = `
  select id, name, strategy_type, instruments, parameters, risk_limits
    from strategy_configurations
   where namespace = $1 and is_active
   order by id`;

interface StrategyRow {
  id: string;
  name: string;
  strategy_type: string;
  instruments: number[];
  parameters: unknown;
  risk_limits: unknown;
}

export interface RunnableStrategy {
  readonly id: string;
  readonly strategy: LoadedStrategy;
  /**
   * Identifies the strategy's type and validated parameters. State saved under another
   * fingerprint belongs to different parameters and is not resumed.
   */
  readonly fingerprint: string;
}

export interface InvalidStrategy {
  readonly id: string;
  readonly error: string;
}

export interface StrategySet {
  readonly strategies: readonly RunnableStrategy[];
  /** instrument token -> the strategies that trade it. */
  readonly byInstrument: ReadonlyMap<number, readonly RunnableStrategy[]>;
  readonly invalid: readonly InvalidStrategy[];
}

export interface StrategyChanges {
  /** Now running, and not running before (new, switched on, or fixed). */
  added: string[];
  /** Running before and not now (switched off, deleted, or made invalid). */
  removed: string[];
  /** Running before and now, with other parameters. */
  changed: string[];
}

interface CatalogEntry {
  signature: string;
  runnable?: RunnableStrategy;
  error?: string;
}

const EMPTY_SET: StrategySet = { strategies: [], byInstrument: new Map(), invalid: [] };

function fingerprintOf(strategy: LoadedStrategy): string {
  return createHash('sha256')
    .update(strategy.strategyType)
    .update('\u0000')
    .update(JSON.stringify(strategy.parameters))
    .digest('hex')
    .slice(0, 16);
}

export class StrategyCatalog {
  private entries = new Map<string, CatalogEntry>();
  private set: StrategySet = EMPTY_SET;

  constructor(
    private readonly pool: Pool,
    private readonly namespace: BrokerNamespace,
    private readonly log: Logger,
  ) {}

  /** The strategies to run now; replaced as a whole by refresh(), never mutated. */
  current(): StrategySet {
    return this.set;
  }

  /** Re-reads the table; returns what changed since the previous read. */
  async refresh(): Promise<StrategyChanges> {
    const { rows } = await this.pool.query<StrategyRow>(SELECT_ACTIVE_STRATEGIES, [this.namespace]);
    const next = new Map<string, CatalogEntry>();
    const changes: StrategyChanges = { added: [], removed: [], changed: [] };
    for (const row of rows) {
      const previous = this.entries.get(row.id);
      const signature = JSON.stringify(row);
      const entry = previous?.signature === signature ? previous : this.load(row, signature);
      next.set(row.id, entry);
      const before = previous?.runnable;
      const after = entry.runnable;
      if (!before && after) changes.added.push(row.id);
      else if (before && !after) changes.removed.push(row.id);
      else if (before && after && before.fingerprint !== after.fingerprint) changes.changed.push(row.id);
    }
    for (const [id, entry] of this.entries) {
      if (!next.has(id) && entry.runnable) changes.removed.push(id);
    }
    this.entries = next;
    this.set = buildSet(next);
    return changes;
  }

  private load(row: StrategyRow, signature: string): CatalogEntry {
    try {
      const strategy = loadStrategy({
        id: row.id,
        namespace: this.namespace,
        name: row.name,
        strategyType: row.strategy_type,
        instruments: row.instruments,
        parameters: row.parameters,
        riskLimits: row.risk_limits,
        isActive: true,
      });
      return { signature, runnable: { id: row.id, strategy, fingerprint: fingerprintOf(strategy) } };
    } catch (error) {
      if (!(error instanceof StrategyConfigError)) throw error;
      this.log.error(
        { strategyId: row.id, strategyType: row.strategy_type, issues: error.issues },
        `strategy ${row.id} skipped until its configuration is fixed: ${error.message}`,
      );
      return { signature, error: error.message };
    }
  }
}

function buildSet(entries: ReadonlyMap<string, CatalogEntry>): StrategySet {
  const strategies: RunnableStrategy[] = [];
  const invalid: InvalidStrategy[] = [];
  const byInstrument = new Map<number, RunnableStrategy[]>();
  for (const [id, entry] of entries) {
    if (!entry.runnable) {
      invalid.push({ id, error: entry.error ?? 'invalid configuration' });
      continue;
    }
    strategies.push(entry.runnable);
    for (const token of new Set(entry.runnable.strategy.config.instruments)) {
      const list = byInstrument.get(token) ?? [];
      list.push(entry.runnable);
      byInstrument.set(token, list);
    }
  }
  return { strategies, byInstrument, invalid };
}
