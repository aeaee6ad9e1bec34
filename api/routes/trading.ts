// What a namespace trades: portfolios as the portfolio manager last committed them (Redis), orders
// and fills (Postgres), and the kill switch (Redis). Amounts in integer paise.
import type { FastifyInstance } from 'fastify';
import { readKillSwitch, turnKillSwitchOff, turnKillSwitchOn } from '../../core/redis/kill-switch';
import { currentView } from '../../services/portfolio-manager/book';
import { loadBooks } from '../../services/portfolio-manager/store';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { listFills, listOrders } from '../ledger';
import { route } from '../route';
import {
  fillSchema,
  fillsQuery,
  killSwitchBody,
  killSwitchSchema,
  namespaceParams,
  orderSchema,
  ordersQuery,
  pageOf,
  portfolioParams,
  portfolioSchema,
  portfoliosSchema,
  portfolioSummarySchema,
} from '../schemas';

const base = '/api/v1/namespaces/:namespace';

export function registerTradingRoutes(app: FastifyInstance, { resources }: ApiContext): void {
  const portfolios = async (namespace: 'paper' | 'zerodha') => [...(await loadBooks(resources.redis(), namespace)).values()].map(currentView);

  route(
    app,
    {
      method: 'GET',
      url: `${base}/portfolios`,
      summary: "Each strategy's positions, cash and P&L",
      tags: ['portfolios'],
      params: namespaceParams,
      response: { status: 200, schema: portfoliosSchema },
    },
    async ({ params: { namespace } }) => ({ namespace, strategies: await portfolios(namespace) }),
  );

  route(
    app,
    {
      method: 'GET',
      url: `${base}/portfolios/summary`,
      summary: 'The namespace totals: cash, realized and unrealized P&L, charges, net P&L',
      tags: ['portfolios'],
      params: namespaceParams,
      response: { status: 200, schema: portfolioSummarySchema },
    },
    async ({ params: { namespace } }) => {
      const all = await portfolios(namespace);
      const sum = (pick: (view: (typeof all)[number]) => number) => all.reduce((total, view) => total + pick(view), 0);
      const realizedPnl = sum((view) => view.realizedPnl);
      const unrealizedPnl = sum((view) => view.unrealizedPnl);
      const chargesPaid = sum((view) => view.chargesPaid);
      const asOf = all.map((view) => view.asOf).sort((a, b) => Date.parse(b) - Date.parse(a))[0] ?? null;
      return {
        namespace,
        strategies: all.length,
        openPositions: sum((view) => view.positions.filter((position) => position.quantity !== 0).length),
        cash: sum((view) => view.cash),
        realizedPnl,
        unrealizedPnl,
        chargesPaid,
        netPnl: realizedPnl + unrealizedPnl - chargesPaid,
        asOf,
      };
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: `${base}/portfolios/:strategyId`,
      summary: "One strategy's portfolio",
      tags: ['portfolios'],
      params: portfolioParams,
      response: { status: 200, schema: portfolioSchema },
      errors: ['not_found'],
    },
    async ({ params: { namespace, strategyId } }) => {
      const book = (await loadBooks(resources.redis(), namespace)).get(strategyId);
      if (!book) throw new ApiError('not_found', `no portfolio for strategy '${strategyId}' in '${namespace}'`);
      return currentView(book);
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: `${base}/orders`,
      summary: 'Orders, newest first; filters strategy, status, from (inclusive) and to (exclusive) on submission time',
      tags: ['orders'],
      params: namespaceParams,
      querystring: ordersQuery,
      response: { status: 200, schema: pageOf(orderSchema) },
    },
    async ({ params: { namespace }, query }) => listOrders(resources.postgres(), namespace, query),
  );

  route(
    app,
    {
      method: 'GET',
      url: `${base}/fills`,
      summary: 'Fills, newest first; filters strategy, order, from (inclusive) and to (exclusive) on fill time',
      tags: ['orders'],
      params: namespaceParams,
      querystring: fillsQuery,
      response: { status: 200, schema: pageOf(fillSchema) },
    },
    async ({ params: { namespace }, query }) => listFills(resources.postgres(), namespace, query),
  );

  const killSwitch = `${base}/kill-switch`;
  route(
    app,
    { method: 'GET', url: killSwitch, summary: 'Whether the kill switch halts new exposure', tags: ['risk'], params: namespaceParams, response: { status: 200, schema: killSwitchSchema } },
    async ({ params: { namespace } }) => ({ namespace, ...(await readKillSwitch(resources.redis(), namespace)) }),
  );
  route(
    app,
    {
      method: 'PUT',
      url: killSwitch,
      summary: 'Turn the kill switch on: risk and engine refuse new exposure; exits still pass',
      tags: ['risk'],
      params: namespaceParams,
      body: killSwitchBody,
      response: { status: 200, schema: killSwitchSchema },
    },
    async ({ params: { namespace }, body }) => {
      await turnKillSwitchOn(resources.redis(), namespace, body.reason ?? null);
      return { namespace, ...(await readKillSwitch(resources.redis(), namespace)) };
    },
  );
  route(
    app,
    { method: 'DELETE', url: killSwitch, summary: 'Turn the kill switch off', tags: ['risk'], params: namespaceParams, response: { status: 200, schema: killSwitchSchema } },
    async ({ params: { namespace } }) => {
      await turnKillSwitchOff(resources.redis(), namespace);
      return { namespace, ...(await readKillSwitch(resources.redis(), namespace)) };
    },
  );
}
