// What GET /metrics shows besides the pipeline monitor's figures, each read from its source of
// truth when Prometheus scrapes, so that it is the same whichever process serves the API:
//   orders and fills      Postgres (orders, fills), per namespace and strategy
//   P&L and exposure      the portfolio manager's books in Redis ({ns}:portfolio:*), in rupees
//   services              the supervisors' status query (as `alpha-panda status` shows them)
//   Zerodha session       Postgres (trading_sessions), read without decrypting: never the token
//   Kite API calls        the Redis hash every process that calls Kite adds to (core/broker/kite-calls)
//   market-data coverage  the feed's report in Redis (services/market-feed/coverage)
// A source that fails or does not answer in time shows alpha_panda_metrics_source_up 0 and none of
// its series, rather than old figures or a failed scrape.
import type { Client } from '@temporalio/client';
import type { Registry } from 'prom-client';
import { readKiteCalls } from '../core/broker/kite-calls';
import { readSessionValidity } from '../core/broker/session-store';
import type { Config } from '../core/config/load';
import { SERVICE_STATES } from '../core/domain/lifecycle';
import { add, paise, times, type Paise } from '../core/domain/money';
import type { BrokerNamespace } from '../core/domain/namespace';
import { marketTicksTopic } from '../core/domain/topics';
import { getLogger } from '../core/logging';
import { processRegistry, ReplacedGauge, StoredTotalCounter, type SeriesOptions } from '../core/metrics/series';
import { countFills, countOrdersByStatus, type OrderStatusName } from '../core/postgres/trades';
import type { Resources } from '../core/resources';
import { readCoverage, tickedWithin } from '../services/market-feed/coverage';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import { readServices } from './operations';
import { withTimeout } from './timeout';

const SOURCE_TIMEOUT_MS = 3_000;
const TICKED_WINDOW_MS = 60_000;
/** Series of the account as a whole (session, Kite calls, market data) form this one group. */
const ACCOUNT = 'account';

/** The order events of the issue, from the orders' statuses: every order was submitted. */
const ORDER_EVENTS: readonly { event: string; statuses: readonly OrderStatusName[] }[] = [
  { event: 'submitted', statuses: ['OPEN', 'COMPLETE', 'CANCELLED', 'REJECTED'] },
  { event: 'filled', statuses: ['COMPLETE'] },
  { event: 'rejected', statuses: ['REJECTED'] },
  { event: 'cancelled', statuses: ['CANCELLED'] },
];

/** Rupees for Prometheus (a float): the exact paise divided once, the double nearest the amount. */
const rupees = (amount: Paise | number) => amount / 100;

/** The series, registered in `registry`. */
export function createOperatorMetrics(registry: Registry) {
  const gauge = (options: SeriesOptions) => new ReplacedGauge(registry, options);
  const counter = (options: SeriesOptions) => new StoredTotalCounter(registry, options);
  return {
    registry,
    sourceUp: gauge({ name: 'alpha_panda_metrics_source_up', help: 'Whether /metrics could read a source on this scrape (1) or not (0)', labelNames: ['source'], groupLabel: null }),
    orders: counter({ name: 'alpha_panda_orders_total', help: 'Orders per strategy that were submitted, and that ended filled, rejected or cancelled', labelNames: ['strategy', 'status'] }),
    openOrders: gauge({ name: 'alpha_panda_orders_open', help: 'Orders per strategy still open at the venue', labelNames: ['strategy'] }),
    fills: counter({ name: 'alpha_panda_fills_total', help: 'Fills (partial or final) per strategy', labelNames: ['strategy'] }),
    realized: gauge({ name: 'alpha_panda_realized_pnl_rupees', help: 'Realized P&L per strategy (gross of charges), rupees', labelNames: ['strategy'] }),
    unrealized: gauge({ name: 'alpha_panda_unrealized_pnl_rupees', help: 'Unrealized P&L per strategy at the latest prices, rupees', labelNames: ['strategy'] }),
    charges: gauge({ name: 'alpha_panda_charges_paid_rupees', help: 'Charges paid per strategy, rupees', labelNames: ['strategy'] }),
    exposure: gauge({ name: 'alpha_panda_exposure_rupees', help: 'Gross exposure per strategy: sum of |quantity| x latest price over open positions, rupees', labelNames: ['strategy'] }),
    openPositions: gauge({ name: 'alpha_panda_open_positions', help: 'Open positions per strategy', labelNames: ['strategy'] }),
    serviceState: gauge({ name: 'alpha_panda_service_state', help: 'Service state as its supervisor reports it: 1 for the current state, 0 for the others', labelNames: ['service', 'state'] }),
    serviceRestarts: gauge({ name: 'alpha_panda_service_restarts', help: 'Restarts of a service since its namespace started', labelNames: ['service'] }),
    sessionValid: gauge({ name: 'alpha_panda_zerodha_session_valid', help: 'Whether an unexpired, not invalidated Zerodha session is stored (1) or not (0)', groupLabel: null }),
    sessionExpiresIn: gauge({ name: 'alpha_panda_zerodha_session_expires_in_seconds', help: 'Time until the stored Zerodha session expires (06:00 IST after its login); 0 when none is valid', groupLabel: null }),
    kiteCalls: counter({ name: 'alpha_panda_kite_api_calls_total', help: 'Kite Connect API calls by endpoint and outcome (ok, 429, or Kite error type)', labelNames: ['endpoint', 'outcome'], groupLabel: null }),
    feedSubscribed: gauge({ name: 'alpha_panda_market_data_instruments_subscribed', help: 'Instruments the market feed subscribes to', labelNames: ['source'], groupLabel: null }),
    feedTicked: gauge({ name: 'alpha_panda_market_data_instruments_ticked_last_minute', help: 'Subscribed instruments that ticked in the last minute', labelNames: ['source'], groupLabel: null }),
    feedReportTime: gauge({ name: 'alpha_panda_market_data_report_timestamp_seconds', help: 'When the market feed last saved its coverage', labelNames: ['source'], groupLabel: null }),
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;

let processMetrics: OperatorMetrics | undefined;

export function operatorMetrics(): OperatorMetrics {
  processMetrics ??= createOperatorMetrics(processRegistry());
  return processMetrics;
}

export interface CollectOptions {
  config: Config;
  client: Client;
  resources: Resources;
  namespaces: readonly BrokerNamespace[];
  metrics?: OperatorMetrics;
  now?: Date;
}

/** Reads every source and records what it holds; a source that fails records nothing. */
export async function collectOperatorMetrics({ config, client, resources, namespaces, metrics = operatorMetrics(), now = new Date() }: CollectOptions): Promise<void> {
  const up: { source: string; ok: boolean }[] = [];
  const read = async (source: string, work: () => Promise<void>, clear: () => void) => {
    try {
      await withTimeout(work(), source, SOURCE_TIMEOUT_MS);
      up.push({ source, ok: true });
    } catch (error) {
      clear();
      up.push({ source, ok: false });
      getLogger('application').warn({ source, err: error }, 'a metrics source could not be read');
    }
  };
  const perNamespace = (series: readonly (ReplacedGauge | StoredTotalCounter)[]) => () => {
    for (const namespace of namespaces) for (const one of series) one.replace(namespace, []);
  };
  const db = resources.postgres();
  const redis = resources.redis();

  await Promise.all([
    read(
      'orders',
      async () => {
        for (const namespace of namespaces) {
          const [orders, fills] = await Promise.all([countOrdersByStatus(db, namespace), countFills(db, namespace)]);
          const strategies = [...new Set(orders.map((row) => row.strategyId))];
          const count = (strategyId: string, statuses: readonly string[]) =>
            orders.filter((row) => row.strategyId === strategyId && statuses.includes(row.status)).reduce((sum, row) => sum + row.orders, 0);
          metrics.orders.replace(namespace, strategies.flatMap((strategy) => ORDER_EVENTS.map(({ event, statuses }) => ({ labels: { strategy, status: event }, value: count(strategy, statuses) }))));
          metrics.openOrders.replace(namespace, strategies.map((strategy) => ({ labels: { strategy }, value: count(strategy, ['OPEN']) })));
          metrics.fills.replace(namespace, fills.map((row) => ({ labels: { strategy: row.strategyId }, value: row.fills })));
        }
      },
      perNamespace([metrics.orders, metrics.openOrders, metrics.fills]),
    ),
    read(
      'portfolios',
      async () => {
        for (const namespace of namespaces) {
          const views = [...(await loadBooks(redis, namespace)).values()].map(currentView);
          const each = (value: (view: (typeof views)[number]) => number) => views.map((view) => ({ labels: { strategy: view.strategyId }, value: value(view) }));
          metrics.realized.replace(namespace, each((view) => rupees(view.realizedPnl)));
          metrics.unrealized.replace(namespace, each((view) => rupees(view.unrealizedPnl)));
          metrics.charges.replace(namespace, each((view) => rupees(view.chargesPaid)));
          metrics.exposure.replace(namespace, each((view) => rupees(add(paise(0), ...view.positions.map((p) => times(paise(p.lastPrice), Math.abs(p.quantity)))))));
          metrics.openPositions.replace(namespace, each((view) => view.positions.filter((p) => p.quantity !== 0).length));
        }
      },
      perNamespace([metrics.realized, metrics.unrealized, metrics.charges, metrics.exposure, metrics.openPositions]),
    ),
    read(
      'services',
      async () => {
        const reports = await Promise.all(namespaces.map((namespace) => readServices(client, namespace)));
        namespaces.forEach((namespace, index) => {
          const services = reports[index]!;
          metrics.serviceState.replace(namespace, services.flatMap((s) => SERVICE_STATES.map((state) => ({ labels: { service: s.service, state }, value: state === s.state ? 1 : 0 }))));
          metrics.serviceRestarts.replace(namespace, services.map((s) => ({ labels: { service: s.service }, value: s.restarts })));
        });
      },
      perNamespace([metrics.serviceState, metrics.serviceRestarts]),
    ),
    read(
      'session',
      async () => {
        // As GET /api/v1/auth/status: with Zerodha disabled no session is in use.
        const session = config.zerodha.enabled ? await readSessionValidity(db, config.zerodha.apiKey, now) : null;
        metrics.sessionValid.replace(ACCOUNT, [{ labels: {}, value: session ? 1 : 0 }]);
        metrics.sessionExpiresIn.replace(ACCOUNT, [{ labels: {}, value: session ? Math.max(0, Math.floor((session.expiresAt.getTime() - now.getTime()) / 1000)) : 0 }]);
      },
      () => [metrics.sessionValid, metrics.sessionExpiresIn].forEach((gauge) => gauge.replace(ACCOUNT, [])),
    ),
    read(
      'kite_calls',
      async () => {
        const counts = await readKiteCalls(redis);
        metrics.kiteCalls.replace(ACCOUNT, counts.map(({ endpoint, outcome, calls }) => ({ labels: { endpoint, outcome }, value: calls })));
      },
      () => metrics.kiteCalls.replace(ACCOUNT, []),
    ),
    read(
      'market_data',
      async () => {
        const report = await readCoverage(redis, marketTicksTopic(config.redpanda.topicPrefix));
        const labels = { source: report?.source ?? '' };
        metrics.feedSubscribed.replace(ACCOUNT, report ? [{ labels, value: report.subscribed.length }] : []);
        metrics.feedTicked.replace(ACCOUNT, report ? [{ labels, value: tickedWithin(report, now, TICKED_WINDOW_MS) }] : []);
        metrics.feedReportTime.replace(ACCOUNT, report ? [{ labels, value: Date.parse(report.at) / 1000 }] : []);
      },
      () => [metrics.feedSubscribed, metrics.feedTicked, metrics.feedReportTime].forEach((gauge) => gauge.replace(ACCOUNT, [])),
    ),
  ]);
  metrics.sourceUp.replace(ACCOUNT, up.map(({ source, ok }) => ({ labels: { source }, value: ok ? 1 : 0 })));
}
