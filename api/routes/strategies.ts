// Strategy configurations of a namespace (table strategy_configurations), through the same module
// as the CLI (core/postgres/strategies.ts): every write is checked there against the strategy
// type's schema and the instrument list, so a stored strategy is always one the strategy runner
// and risk manager load; they pick changes up on their next refresh.
import type { FastifyInstance } from 'fastify';
import { formatIst } from '../../core/domain/market-hours';
import { StrategyConfigError } from '../../core/domain/trading/strategies';
import {
  createStrategy,
  listStrategies,
  patchStrategy,
  setStrategyActive,
  StrategyExistsError,
  StrategyNotFoundError,
  UnknownInstrumentsError,
  type StrategyRecord,
} from '../../core/postgres/strategies';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { route } from '../route';
import { createStrategyBody, namespaceParams, patchStrategyBody, strategiesSchema, strategyParams, strategySchema } from '../schemas';

const view = (record: StrategyRecord) => ({
  id: record.id,
  namespace: record.namespace,
  name: record.name,
  strategyType: record.strategyType,
  instruments: record.instruments,
  parameters: record.parameters,
  riskLimits: record.riskLimits,
  isActive: record.isActive,
  createdAt: formatIst(new Date(record.createdAt)),
  updatedAt: formatIst(new Date(record.updatedAt)),
});

/** The module's refusals as the error catalog answers them, naming the body's fields. */
async function answering(work: () => Promise<StrategyRecord>) {
  try {
    return view(await work());
  } catch (error) {
    if (error instanceof StrategyConfigError) {
      throw new ApiError('bad_request', error.issues.map((issue) => `body.${issue.replace(/^config\./, '')}`).join('; '));
    }
    if (error instanceof UnknownInstrumentsError) throw new ApiError('bad_request', `body.instruments: ${error.message}`);
    if (error instanceof StrategyNotFoundError) throw new ApiError('not_found', error.message);
    if (error instanceof StrategyExistsError) throw new ApiError('conflict', error.message);
    throw error;
  }
}

export function registerStrategyRoutes(app: FastifyInstance, { resources }: ApiContext): void {
  const db = () => resources.postgres();
  const base = '/api/v1/namespaces/:namespace/strategies';
  const tags = ['strategies'];

  route(
    app,
    { method: 'GET', url: base, summary: 'Every strategy of the namespace', tags, params: namespaceParams, response: { status: 200, schema: strategiesSchema } },
    async ({ params: { namespace } }) => ({ namespace, strategies: (await listStrategies(db(), namespace)).map(view) }),
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
    async ({ params: { namespace }, body }) => answering(() => createStrategy(db(), namespace, body)),
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
    async ({ params: { namespace, id }, body }) => answering(() => patchStrategy(db(), namespace, id, body)),
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
      async ({ params: { namespace, id } }) => answering(() => setStrategyActive(db(), namespace, id, active)),
    );
  }
}
