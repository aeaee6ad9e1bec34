// The strategy_configurations table (migrations/1763978400000_instruments-and-strategies.js) for
// operators: list, show, switch on and off, and change parameters. A change is validated against
// the strategy type's schema (core/domain/trading/strategies/registry.ts) before it is saved, so
// that the strategy runner, which re-reads the table in the background, never meets a
// configuration it would have to skip.
import type { BrokerNamespace } from '../domain/namespace';
import { loadStrategy, type LoadedStrategy } from '../domain/trading/strategies';
import { withTransaction, type Pool, type Queryable } from './pool';

export interface StrategyRecord {
  namespace: BrokerNamespace;
  id: string;
  name: string;
  strategyType: string;
  instruments: number[];
  /** As stored: only what was set; the schema's defaults fill in the rest when it loads. */
  parameters: Record<string, unknown>;
  riskLimits: Record<string, unknown>;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

export class StrategyNotFoundError extends Error {
  override name = 'StrategyNotFoundError';
  constructor(namespace: BrokerNamespace, id: string) {
    super(`no strategy ${JSON.stringify(id)} in namespace '${namespace}'`);
  }
}

const COLUMNS = `namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active, created_at, updated_at`;

interface Row {
  namespace: BrokerNamespace;
  id: string;
  name: string;
  strategy_type: string;
  instruments: number[];
  parameters: Record<string, unknown>;
  risk_limits: Record<string, unknown>;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

const toRecord = (row: Row): StrategyRecord => ({
  namespace: row.namespace,
  id: row.id,
  name: row.name,
  strategyType: row.strategy_type,
  instruments: row.instruments,
  parameters: row.parameters,
  riskLimits: row.risk_limits,
  isActive: row.is_active,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Validates a record as the strategy runner will load it; throws StrategyConfigError naming each bad field. */
export const validateStrategy = (record: StrategyRecord): LoadedStrategy => loadStrategy(record);

export async function listStrategies(db: Queryable, namespace: BrokerNamespace): Promise<StrategyRecord[]> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from strategy_configurations where namespace = $1 order by id`, [namespace]);
  return rows.map(toRecord);
}

export async function getStrategy(db: Queryable, namespace: BrokerNamespace, id: string): Promise<StrategyRecord> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from strategy_configurations where namespace = $1 and id = $2`, [namespace, id]);
  if (!rows[0]) throw new StrategyNotFoundError(namespace, id);
  return toRecord(rows[0]);
}

/**
 * Reads the row under a lock, lets `change` compute the new row, validates it unless told not to
 * (a StrategyConfigError leaves the row as it was), and saves it.
 */
async function updateStrategy(
  pool: Pool,
  namespace: BrokerNamespace,
  id: string,
  change: (current: StrategyRecord) => StrategyRecord,
  validate = true,
): Promise<StrategyRecord> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<Row>(
      `select ${COLUMNS} from strategy_configurations where namespace = $1 and id = $2 for update`,
      [namespace, id],
    );
    if (!rows[0]) throw new StrategyNotFoundError(namespace, id);
    const next = change(toRecord(rows[0]));
    if (validate) validateStrategy(next);
    const updated = await client.query<Row>(
      `update strategy_configurations set parameters = $3::jsonb, is_active = $4, updated_at = now()
        where namespace = $1 and id = $2
        returning ${COLUMNS}`,
      [namespace, id, JSON.stringify(next.parameters), next.isActive],
    );
    return toRecord(updated.rows[0]!);
  });
}

/**
 * Switches a strategy on or off. Switching on a configuration that would not load is refused;
 * switching off always works, so that a broken strategy can be stopped before it is fixed.
 */
export function setStrategyActive(pool: Pool, namespace: BrokerNamespace, id: string, active: boolean): Promise<StrategyRecord> {
  return updateStrategy(pool, namespace, id, (current) => ({ ...current, isActive: active }), active);
}

/**
 * Changes parameters: each value replaces the stored one, `undefined` removes it (its default
 * applies again). The whole result is validated before it is saved.
 */
export function setStrategyParameters(
  pool: Pool,
  namespace: BrokerNamespace,
  id: string,
  changes: Readonly<Record<string, unknown>>,
): Promise<StrategyRecord> {
  return updateStrategy(pool, namespace, id, (current) => {
    const parameters = { ...current.parameters };
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete parameters[name];
      else parameters[name] = value;
    }
    return { ...current, parameters };
  });
}
