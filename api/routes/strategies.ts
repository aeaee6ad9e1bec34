// Strategy configurations of a namespace (table strategy_configurations). Every write is checked
// by the domain's loadStrategy first, so a stored strategy always has parameters and risk limits
// its type accepts; the strategy runner and risk manager pick changes up on their next refresh.
import type { FastifyInstance } from 'fastify';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { formatIst } from '../../core/domain/market-hours';
import { loadStrategy, StrategyConfigError } from '../../core/domain/trading/strategies';
import type { Queryable } from '../../core/postgres/pool';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { route } from '../route';
import { createStrategyBody, namespaceParams, patchStrategyBody, strategiesSchema, strategyParams, strategySchema } from '../schemas';

interface StrategyRow {
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

const COLUMNS = 'id, name, strategy_type, instruments, parameters, risk_limits, is_active, created_at, updated_at';
const UNIQUE_VIOLATION = '23505';

const view = (namespace: BrokerNamespace, row: StrategyRow) => ({
  id: row.id,
  namespace,
  name: row.name,
  strategyType: row.strategy_type,
  instruments: row.instruments,
  parameters: row.parameters,
  riskLimits: row.risk_limits,
  isActive: row.is_active,
  createdAt: formatIst(row.created_at),
  updatedAt: formatIst(row.updated_at),
});

async function findStrategy(db: Queryable, namespace: BrokerNamespace, id: string): Promise<StrategyRow> {
  const { rows } = await db.query<StrategyRow>(`select ${COLUMNS} from strategy_configurations where namespace = $1 and id = $2`, [namespace, id]);
  if (!rows[0]) throw new ApiError('not_found', `no strategy '${id}' in '${namespace}'`);
  return rows[0];
}

/** Refuses (400, naming each field) what the strategy runner would refuse to load. */
async function validate(db: Queryable, namespace: BrokerNamespace, row: Pick<StrategyRow, 'id' | 'name' | 'strategy_type' | 'instruments' | 'parameters' | 'risk_limits'>) {
  try {
    loadStrategy({
      id: row.id,
      namespace,
      name: row.name,
      strategyType: row.strategy_type,
      instruments: row.instruments,
      parameters: row.parameters,
      riskLimits: row.risk_limits,
      isActive: true,
    });
  } catch (error) {
    if (!(error instanceof StrategyConfigError)) throw error;
    throw new ApiError('bad_request', error.issues.map((issue) => `body.${issue.replace(/^config\./, '')}`).join('; '));
  }
  const { rows } = await db.query<{ token: number }>(
    'select t as token from unnest($1::integer[]) as t where not exists (select 1 from instruments i where i.instrument_token = t)',
    [row.instruments],
  );
  if (rows.length > 0) throw new ApiError('bad_request', `body.instruments: unknown instrument token(s) ${rows.map((r) => r.token).join(', ')}`);
}

/** A key set to null removes it; any other value replaces it. */
function merge(stored: Record<string, unknown>, patch: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!patch) return stored;
  const merged = { ...stored };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export function registerStrategyRoutes(app: FastifyInstance, { resources }: ApiContext): void {
  const db = () => resources.postgres();
  const base = '/api/v1/namespaces/:namespace/strategies';
  const tags = ['strategies'];

  route(
    app,
    { method: 'GET', url: base, summary: 'Every strategy of the namespace', tags, params: namespaceParams, response: { status: 200, schema: strategiesSchema } },
    async ({ params: { namespace } }) => {
      const { rows } = await db().query<StrategyRow>(`select ${COLUMNS} from strategy_configurations where namespace = $1 order by id`, [namespace]);
      return { namespace, strategies: rows.map((row) => view(namespace, row)) };
    },
  );

  route(
    app,
    {
      method: 'POST',
      url: base,
      summary: 'Create a strategy (switched off: activate it once reviewed)',
      tags,
      params: namespaceParams,
      body: createStrategyBody,
      response: { status: 201, schema: strategySchema },
      errors: ['conflict'],
    },
    async ({ params: { namespace }, body }) => {
      const row = { id: body.id, name: body.name, strategy_type: body.strategyType, instruments: body.instruments, parameters: body.parameters, risk_limits: body.riskLimits };
      await validate(db(), namespace, row);
      try {
        const { rows } = await db().query<StrategyRow>(
          `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
           values ($1, $2, $3, $4, $5, $6, $7, false) returning ${COLUMNS}`,
          [namespace, row.id, row.name, row.strategy_type, row.instruments, JSON.stringify(row.parameters), JSON.stringify(row.risk_limits)],
        );
        return view(namespace, rows[0]!);
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new ApiError('conflict', `strategy '${row.id}' exists already in '${namespace}'`);
        throw error;
      }
    },
  );

  route(
    app,
    {
      method: 'PATCH',
      url: `${base}/:id`,
      summary: "Change a strategy's name, instruments, parameters or risk limits (merged key by key; null removes a key)",
      tags,
      params: strategyParams,
      body: patchStrategyBody,
      response: { status: 200, schema: strategySchema },
      errors: ['not_found'],
    },
    async ({ params: { namespace, id }, body }) => {
      const stored = await findStrategy(db(), namespace, id);
      const next = {
        ...stored,
        name: body.name ?? stored.name,
        instruments: body.instruments ?? stored.instruments,
        parameters: merge(stored.parameters, body.parameters),
        risk_limits: merge(stored.risk_limits, body.riskLimits),
      };
      await validate(db(), namespace, next);
      const { rows } = await db().query<StrategyRow>(
        `update strategy_configurations set name = $3, instruments = $4, parameters = $5, risk_limits = $6, updated_at = now()
          where namespace = $1 and id = $2 returning ${COLUMNS}`,
        [namespace, id, next.name, next.instruments, JSON.stringify(next.parameters), JSON.stringify(next.risk_limits)],
      );
      if (!rows[0]) throw new ApiError('not_found', `no strategy '${id}' in '${namespace}'`);
      return view(namespace, rows[0]);
    },
  );

  for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
    route(
      app,
      {
        method: 'POST',
        url: `${base}/:id/${action}`,
        summary: active ? 'Switch a strategy on (its configuration is checked first)' : 'Switch a strategy off',
        tags,
        params: strategyParams,
        response: { status: 200, schema: strategySchema },
        errors: ['not_found'],
      },
      async ({ params: { namespace, id } }) => {
        const stored = await findStrategy(db(), namespace, id);
        if (active) await validate(db(), namespace, stored);
        const { rows } = await db().query<StrategyRow>(
          `update strategy_configurations set is_active = $3, updated_at = now() where namespace = $1 and id = $2 returning ${COLUMNS}`,
          [namespace, id, active],
        );
        if (!rows[0]) throw new ApiError('not_found', `no strategy '${id}' in '${namespace}'`);
        return view(namespace, rows[0]);
      },
    );
  }
}
