// The strategy_configurations table (migrations/1763978400000_instruments-and-strategies.js) for
// operators: list, show, switch on and off, and change parameters. A change is validated against
// the strategy type's schema (core/domain/trading/strategies/registry.ts) before it is saved, so
// that the strategy runner, which re-reads the table in the background, never meets a
// configuration it would have to skip. The CLI and the HTTP API both write through here, so a
// stored strategy always passes the same checks: its type's schema and known instrument tokens.
import type { BrokerNamespace } from '../domain/namespace';
import { loadStrategy, type LoadedStrategy } from '../domain/trading/strategies';
import { withTransaction, type Pool, type Queryable } from './pool';

const UNIQUE_VIOLATION = '23505';

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

export class StrategyExistsError extends Error {
  override name = 'StrategyExistsError';
  constructor(namespace: BrokerNamespace, id: string) {
    super(`strategy ${JSON.stringify(id)} exists already in namespace '${namespace}'`);
  }
}

/** The strategy trades instrument tokens that the instrument list does not have. */
export class UnknownInstrumentsError extends Error {
  override name = 'UnknownInstrumentsError';
  constructor(readonly tokens: readonly number[]) {
    super(`unknown instrument token(s) ${tokens.join(', ')}`);
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

/** Throws UnknownInstrumentsError when a token is not in the instrument list. */
export async function assertInstrumentsKnown(db: Queryable, instruments: readonly number[]): Promise<void> {
  const { rows } = await db.query<{ token: number }>(
    'select t as token from unnest($1::integer[]) as t where not exists (select 1 from instruments i where i.instrument_token = t)',
    [instruments],
  );
  if (rows.length > 0) throw new UnknownInstrumentsError(rows.map((row) => row.token));
}

/** Every check a stored strategy must pass: its type's schema, then instruments that exist. */
async function checkStrategy(db: Queryable, record: StrategyRecord): Promise<void> {
  validateStrategy(record);
  await assertInstrumentsKnown(db, record.instruments);
}

export type NewStrategy = Pick<StrategyRecord, 'id' | 'name' | 'strategyType' | 'instruments' | 'parameters' | 'riskLimits'>;

/** Creates a strategy, switched off (activate it once reviewed); StrategyExistsError when the id is taken. */
export async function createStrategy(db: Queryable, namespace: BrokerNamespace, strategy: NewStrategy): Promise<StrategyRecord> {
  const now = new Date().toISOString();
  await checkStrategy(db, { namespace, ...strategy, isActive: false, createdAt: now, updatedAt: now });
  try {
    const { rows } = await db.query<Row>(
      `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
       values ($1, $2, $3, $4, $5, $6, $7, false) returning ${COLUMNS}`,
      [namespace, strategy.id, strategy.name, strategy.strategyType, strategy.instruments, JSON.stringify(strategy.parameters), JSON.stringify(strategy.riskLimits)],
    );
    return toRecord(rows[0]!);
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new StrategyExistsError(namespace, strategy.id);
    throw error;
  }
}

/**
 * Reads the row under a lock, lets `change` compute the new row, checks it unless told not to
 * (a refused change leaves the row as it was), and saves it.
 */
async function updateStrategy(
  pool: Pool,
  namespace: BrokerNamespace,
  id: string,
  change: (current: StrategyRecord) => StrategyRecord,
  check = true,
): Promise<StrategyRecord> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<Row>(
      `select ${COLUMNS} from strategy_configurations where namespace = $1 and id = $2 for update`,
      [namespace, id],
    );
    if (!rows[0]) throw new StrategyNotFoundError(namespace, id);
    const next = change(toRecord(rows[0]));
    if (check) await checkStrategy(client, next);
    const updated = await client.query<Row>(
      `update strategy_configurations
          set name = $3, instruments = $4, parameters = $5::jsonb, risk_limits = $6::jsonb, is_active = $7, updated_at = now()
        where namespace = $1 and id = $2
        returning ${COLUMNS}`,
      [namespace, id, next.name, next.instruments, JSON.stringify(next.parameters), JSON.stringify(next.riskLimits), next.isActive],
    );
    return toRecord(updated.rows[0]!);
  });
}

/** Each change replaces the stored value; null or undefined removes the key (its default applies again). */
function mergeKeys(stored: Record<string, unknown>, changes: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const merged = { ...stored };
  for (const [name, value] of Object.entries(changes ?? {})) {
    if (value === undefined || value === null) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/**
 * Switches a strategy on or off. Switching on a configuration that would not load is refused;
 * switching off always works, so that a broken strategy can be stopped before it is fixed.
 */
export function setStrategyActive(pool: Pool, namespace: BrokerNamespace, id: string, active: boolean): Promise<StrategyRecord> {
  return updateStrategy(pool, namespace, id, (current) => ({ ...current, isActive: active }), active);
}

/** Changes parameters, merged key by key (see mergeKeys); the whole result is checked before it is saved. */
export function setStrategyParameters(
  pool: Pool,
  namespace: BrokerNamespace,
  id: string,
  changes: Readonly<Record<string, unknown>>,
): Promise<StrategyRecord> {
  return updateStrategy(pool, namespace, id, (current) => ({ ...current, parameters: mergeKeys(current.parameters, changes) }));
}

export interface StrategyPatch {
  name?: string;
  instruments?: number[];
  parameters?: Readonly<Record<string, unknown>>;
  riskLimits?: Readonly<Record<string, unknown>>;
}

/** Changes name, instruments, parameters or risk limits (the last two merged key by key). */
export function patchStrategy(pool: Pool, namespace: BrokerNamespace, id: string, patch: StrategyPatch): Promise<StrategyRecord> {
  return updateStrategy(pool, namespace, id, (current) => ({
    ...current,
    name: patch.name ?? current.name,
    instruments: patch.instruments ?? current.instruments,
    parameters: mergeKeys(current.parameters, patch.parameters),
    riskLimits: mergeKeys(current.riskLimits, patch.riskLimits),
  }));
}
