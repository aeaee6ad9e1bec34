// `alpha-panda orders [filters]` and `alpha-panda fills [filters]`: the trading engine's orders
// and fills from Postgres (core/postgres/trades.ts), newest first. The table shows rupees
// (exact, from paise) and IST times; --json gives the rows with amounts in paise and ISO times
// in IST.
import { Option, type Command } from 'commander';
import { formatIst } from '../../core/domain/market-hours';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { ORDER_STATUSES, type FillRow, type OrderRow, type OrderStatusName } from '../../core/postgres/trades';
import { formatTable, istCell, printJson, rupeeCell } from '../table';
import { namespaceOption } from './control';
import { runWithDatabase } from './database';
import { limitOption, sinceOption, strategyFilterOption } from './options';

export function formatOrders(orders: readonly OrderRow[]): string {
  return formatTable(
    [
      { header: 'submitted (IST)' },
      { header: 'order' },
      { header: 'strategy' },
      { header: 'symbol' },
      { header: 'side' },
      { header: 'product' },
      { header: 'type' },
      { header: 'qty', align: 'right' },
      { header: 'filled', align: 'right' },
      { header: 'limit ₹', align: 'right' },
      { header: 'avg ₹', align: 'right' },
      { header: 'status' },
      { header: 'reason' },
    ],
    orders.map((o) => [
      istCell(o.submittedAt),
      o.orderId,
      o.strategyId,
      o.tradingsymbol,
      o.side,
      o.product,
      o.orderType,
      String(o.quantity),
      String(o.filledQuantity),
      rupeeCell(o.limitPricePaise),
      rupeeCell(o.averagePricePaise),
      o.status,
      o.failureReason ?? '',
    ]),
    'no orders',
  );
}

export function formatFills(fills: readonly FillRow[]): string {
  return formatTable(
    [
      { header: 'filled (IST)' },
      { header: 'fill' },
      { header: 'order' },
      { header: 'strategy' },
      { header: 'symbol' },
      { header: 'side' },
      { header: 'qty', align: 'right' },
      { header: 'price ₹', align: 'right' },
      { header: 'value ₹', align: 'right' },
      { header: 'charges ₹', align: 'right' },
    ],
    fills.map((f) => [
      istCell(f.filledAt),
      f.fillId,
      f.orderId,
      f.strategyId,
      f.tradingsymbol ?? String(f.instrumentToken),
      f.side,
      String(f.quantity),
      rupeeCell(f.pricePaise),
      rupeeCell(f.pricePaise * f.quantity),
      rupeeCell(f.chargesPaise),
    ]),
    'no fills',
  );
}

const orderJson = (o: OrderRow) => ({ ...o, submittedAt: formatIst(o.submittedAt), updatedAt: formatIst(o.updatedAt) });
const fillJson = (f: FillRow) => ({ ...f, filledAt: formatIst(f.filledAt) });

interface ListOptions {
  namespace: BrokerNamespace;
  strategy?: string;
  status?: OrderStatusName;
  since?: Date;
  limit: number;
  json?: boolean;
}

export function registerTradeCommands(program: Command): void {
  program
    .command('orders')
    .description("the namespace's orders, newest first, from Postgres")
    .addOption(namespaceOption())
    .addOption(strategyFilterOption())
    .addOption(new Option('--status <status>', 'only orders in this status').choices(ORDER_STATUSES))
    .addOption(sinceOption())
    .addOption(limitOption())
    .option('--json', 'print JSON (amounts in paise)')
    .action((options: ListOptions) =>
      runWithDatabase('orders', async ({ pool }) => {
        const { listOrders } = await import('../../core/postgres/trades');
        const filter = { strategyId: options.strategy, status: options.status, since: options.since, limit: options.limit };
        const orders = await listOrders(pool, options.namespace, filter);
        if (options.json) printJson({ namespace: options.namespace, orders: orders.map(orderJson) });
        else process.stdout.write(`${formatOrders(orders)}\n`);
      }),
    );

  program
    .command('fills')
    .description("the namespace's fills, newest first, from Postgres")
    .addOption(namespaceOption())
    .addOption(strategyFilterOption())
    .addOption(sinceOption())
    .addOption(limitOption())
    .option('--json', 'print JSON (amounts in paise)')
    .action((options: ListOptions) =>
      runWithDatabase('fills', async ({ pool }) => {
        const { listFills } = await import('../../core/postgres/trades');
        const fills = await listFills(pool, options.namespace, { strategyId: options.strategy, since: options.since, limit: options.limit });
        if (options.json) printJson({ namespace: options.namespace, fills: fills.map(fillJson) });
        else process.stdout.write(`${formatFills(fills)}\n`);
      }),
    );
}
