// `alpha-panda portfolio [--strategy S]`: each strategy's cash, P&L, charges and positions as
// the portfolio manager last committed them to Redis (the same read as the API's portfolio
// route: loadBooks and currentView), with trading symbols from the instrument list. P&L is
// gross; net = realized + unrealized - charges.
import type { Command } from 'commander';
import type { PnlSnapshot } from '../../core/domain/events';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { formatIst } from '../../core/domain/market-hours';
import { formatTable, istCell, printJson, rupeeCell } from '../table';
import { namespaceOption } from './control';
import { runWithDatabase } from './database';
import { strategyFilterOption } from './options';

export const netPnl = (view: PnlSnapshot): number => view.realizedPnl + view.unrealizedPnl - view.chargesPaid;

export function formatPortfolio(views: readonly PnlSnapshot[], symbols: ReadonlyMap<number, string>): string {
  if (views.length === 0) return 'no portfolios yet (the portfolio manager writes one with a strategy\'s first fill or tick)';
  const summary = formatTable(
    [
      { header: 'strategy' },
      { header: 'cash ₹', align: 'right' },
      { header: 'realized ₹', align: 'right' },
      { header: 'unrealized ₹', align: 'right' },
      { header: 'charges ₹', align: 'right' },
      { header: 'net ₹', align: 'right' },
      { header: 'positions', align: 'right' },
      { header: 'as of (IST)' },
    ],
    views.map((v) => [
      v.strategyId,
      rupeeCell(v.cash),
      rupeeCell(v.realizedPnl),
      rupeeCell(v.unrealizedPnl),
      rupeeCell(v.chargesPaid),
      rupeeCell(netPnl(v)),
      String(v.positions.filter((p) => p.quantity !== 0).length),
      istCell(v.asOf),
    ]),
  );
  const positions = formatTable(
    [
      { header: 'strategy' },
      { header: 'symbol' },
      { header: 'qty', align: 'right' },
      { header: 'avg ₹', align: 'right' },
      { header: 'last ₹', align: 'right' },
      { header: 'realized ₹', align: 'right' },
      { header: 'unrealized ₹', align: 'right' },
    ],
    views.flatMap((v) =>
      v.positions.map((p) => [
        v.strategyId,
        symbols.get(p.instrumentToken) ?? String(p.instrumentToken),
        String(p.quantity),
        rupeeCell(p.averagePrice),
        rupeeCell(p.lastPrice),
        rupeeCell(p.realizedPnl),
        rupeeCell(p.unrealizedPnl),
      ]),
    ),
    'no positions',
  );
  return `${summary}\n\n${positions}`;
}

export function registerPortfolioCommands(program: Command): void {
  program
    .command('portfolio')
    .description("each strategy's cash, P&L, charges and positions as the portfolio manager committed them")
    .addOption(namespaceOption())
    .addOption(strategyFilterOption())
    .option('--json', 'print JSON (amounts in paise)')
    .action((options: { namespace: BrokerNamespace; strategy?: string; json?: boolean }) =>
      runWithDatabase('portfolio', async ({ config, pool }) => {
        const { createRedis } = await import('../../core/redis/client');
        const { instrumentSymbols } = await import('../../core/postgres/trades');
        const { loadBooks } = await import('../../services/portfolio-manager/store');
        const { currentView } = await import('../../services/portfolio-manager/book');
        const redis = createRedis(config);
        try {
          const books = await loadBooks(redis, options.namespace);
          const views = [...books.values()].map(currentView).filter((view) => !options.strategy || view.strategyId === options.strategy);
          if (options.strategy && views.length === 0) {
            process.stderr.write(`portfolio: strategy ${JSON.stringify(options.strategy)} has no portfolio in '${options.namespace}'\n`);
            return 1;
          }
          const symbols = await instrumentSymbols(pool, views.flatMap((view) => view.positions.map((p) => p.instrumentToken)));
          if (options.json) {
            printJson({
              namespace: options.namespace,
              strategies: views.map((view) => ({
                ...view,
                netPnl: netPnl(view),
                asOf: formatIst(new Date(view.asOf)),
                positions: view.positions.map((p) => ({ ...p, tradingsymbol: symbols.get(p.instrumentToken) ?? null })),
              })),
            });
          } else {
            process.stdout.write(`Portfolio of '${options.namespace}' (gross P&L; net = realized + unrealized - charges)\n\n`);
            process.stdout.write(`${formatPortfolio(views, symbols)}\n`);
          }
        } finally {
          redis.disconnect();
        }
      }),
    );
}
