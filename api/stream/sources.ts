// What a namespace's event stream reads, and how often: the startup workflow's status query and
// its supervisors (Temporal), portfolios, the pipeline monitor's report and the kill switch
// (Redis), strategies, orders and fills (Postgres). Orders and fills are read from the rows the
// engine commits rather than by tailing topics, so the stream needs no consumer group (and can
// never join a production one from a test).
import type { Client } from '@temporalio/client';
import type { BrokerNamespace } from '../../core/domain/namespace';
import type { Queryable } from '../../core/postgres/pool';
import type { Resources } from '../../core/resources';
import { readKillSwitch } from '../../core/redis/kill-switch';
import { readReport } from '../../services/pipeline-monitor/store';
import { currentView } from '../../services/portfolio-manager/book';
import { loadBooks } from '../../services/portfolio-manager/store';
import { FILL_COLUMNS, fillView, ORDER_COLUMNS, orderView, type FillRow, type OrderRow } from '../ledger';
import { NotRunningError, readServices, readStatus } from '../operations';
import { stateSource, type StreamEvent, type StreamSource } from './hub';
import { historyFromSnapshots, PnlHistory, portfolioTotals } from './pnl';

/** How often each part is read while someone listens. Temporal's queries cost a workflow task each. */
export const STREAM_INTERVALS_MS = { temporal: 2_000, redis: 1_000, postgres: 1_000, strategies: 3_000 } as const;
/** Orders and fills a subscriber is sent when it joins. */
export const RECENT_ROWS = 50;
/** Rows committed late (a batch taking its time) still show when their time is this close to the newest. */
const OVERLAP_SECONDS = 30;

export interface SourceDeps {
  client: Client;
  resources: Resources;
  intervals?: Partial<Record<keyof typeof STREAM_INTERVALS_MS, number>>;
}

export function namespaceSources({ client, resources, intervals = {} }: SourceDeps, namespace: BrokerNamespace): StreamSource[] {
  const every = { ...STREAM_INTERVALS_MS, ...intervals };
  const db = () => resources.postgres();
  const redis = () => resources.redis();
  return [
    startupSource(client, namespace, every.temporal),
    portfolioSource(db, redis, namespace, every.redis),
    stateSource('pipeline', 'pipeline', every.redis, () => readReport(redis(), namespace)),
    stateSource('kill-switch', 'kill-switch', every.redis, () => readKillSwitch(redis(), namespace)),
    stateSource('strategies', 'strategies', every.strategies, () => readStrategies(db(), namespace)),
    ledgerSource<OrderRow>(db, {
      name: 'orders',
      table: 'orders',
      columns: ORDER_COLUMNS,
      idColumn: 'order_id',
      timeColumn: 'updated_at',
      namespace,
      intervalMs: every.postgres,
      // An order changes (fills, cancels): its updated_at and status tell one version from the next.
      version: (row) => `${row.updated_at.toISOString()} ${row.status} ${row.filled_quantity}`,
      view: orderView,
    }),
    ledgerSource<FillRow>(db, {
      name: 'fills',
      table: 'fills',
      columns: FILL_COLUMNS,
      idColumn: 'fill_id',
      timeColumn: 'filled_at',
      namespace,
      intervalMs: every.postgres,
      version: () => '',
      view: fillView,
    }),
  ];
}

/** Phase, checks and login URL, then each service: two events from one read of Temporal. */
function startupSource(client: Client, namespace: BrokerNamespace, intervalMs: number): StreamSource {
  const status = stateSource('temporal', 'status', intervalMs, async () => {
    try {
      const { phase, execution, checks, loginUrl, authError, authDeadline, failure } = await readStatus(client, namespace);
      return { namespace, phase, execution, checks, loginUrl, authError, authDeadline, failure };
    } catch (error) {
      if (!(error instanceof NotRunningError)) throw error;
      return { namespace, phase: null, execution: null, checks: [], loginUrl: null, authError: null, authDeadline: null, failure: null };
    }
  });
  const services = stateSource('temporal', 'services', intervalMs, async () =>
    (await readServices(client, namespace)).map(({ service, state, restarts, lastError, runningSince }) => ({ service, state, restarts, lastError, runningSince })),
  );
  return {
    name: 'temporal',
    intervalMs,
    poll: async () => [...(await status.poll()), ...(await services.poll())],
    current: () => [...status.current(), ...services.current()],
  };
}

/** Each strategy's book as the portfolio manager last committed it, the totals, and their history. */
function portfolioSource(db: () => Queryable, redis: () => ReturnType<Resources['redis']>, namespace: BrokerNamespace, intervalMs: number): StreamSource {
  let history: PnlHistory | undefined;
  const symbols = new Map<number, string>();
  const portfolio = stateSource('portfolio', 'portfolio', intervalMs, async () => {
    const strategies = [...(await loadBooks(redis(), namespace)).values()].map(currentView).sort((a, b) => a.strategyId.localeCompare(b.strategyId));
    const tokens = [...new Set(strategies.flatMap((view) => view.positions.map((position) => position.instrumentToken)))];
    await lookUpSymbols(db(), tokens, symbols);
    return {
      namespace,
      totals: portfolioTotals(strategies),
      strategies,
      symbols: Object.fromEntries(tokens.map((token) => [token, symbols.get(token) ?? String(token)])),
    };
  });
  const pnlEvent = (): StreamEvent => ({ event: 'pnl', data: { points: history?.points() ?? [] } });
  return {
    name: 'portfolio',
    intervalMs,
    async poll() {
      if (!history) history = await loadHistory(db(), namespace);
      const events = await portfolio.poll();
      const changed = events[0]?.data as { totals: ReturnType<typeof portfolioTotals> } | undefined;
      // asOf is null only without strategies. The point is on the books' event time, as the
      // history from the snapshots is.
      if (changed && changed.totals.asOf !== null) {
        const point = { time: Math.floor(Date.parse(changed.totals.asOf) / 1000), value: changed.totals.value, netPnl: changed.totals.netPnl };
        if (history.add(point)) events.push({ event: 'pnl', data: { points: [point] } });
      }
      return events;
    },
    current: () => [...portfolio.current(), pnlEvent()],
  };
}

/** The day's stored snapshots (IST trading day and the night before), as namespace totals. */
async function loadHistory(db: Queryable, namespace: BrokerNamespace): Promise<PnlHistory> {
  const { rows } = await db.query<{ strategy_id: string; cash: number; realized: number; unrealized: number; charges: number; positions: never[]; as_of: Date }>(
    `select strategy_id, cash_paise as cash, realized_pnl_paise as realized, unrealized_pnl_paise as unrealized,
            charges_paid_paise as charges, positions, as_of
       from (select * from portfolio_snapshots where namespace = $1 and as_of > now() - interval '24 hours'
              order by as_of desc limit 20000) latest`,
    [namespace],
  );
  const points = historyFromSnapshots(
    rows.map((row) => ({
      strategyId: row.strategy_id,
      cash: Number(row.cash),
      realizedPnl: Number(row.realized),
      unrealizedPnl: Number(row.unrealized),
      chargesPaid: Number(row.charges),
      positions: row.positions,
      asOf: row.as_of.toISOString(),
    })),
  );
  const history = new PnlHistory();
  for (const point of points) history.add(point);
  return history;
}

async function lookUpSymbols(db: Queryable, tokens: number[], known: Map<number, string>): Promise<void> {
  const missing = tokens.filter((token) => !known.has(token));
  if (missing.length === 0) return;
  const { rows } = await db.query<{ instrument_token: number; tradingsymbol: string }>(
    'select instrument_token, tradingsymbol from instruments where instrument_token = any($1::integer[])',
    [missing],
  );
  for (const row of rows) known.set(row.instrument_token, row.tradingsymbol);
}

async function readStrategies(db: Queryable, namespace: BrokerNamespace) {
  const { rows } = await db.query<{ id: string; name: string; strategy_type: string; instruments: number[]; parameters: Record<string, unknown>; is_active: boolean; symbols: string[] }>(
    `select s.id, s.name, s.strategy_type, s.instruments, s.parameters, s.is_active,
            coalesce((select array_agg(coalesce(i.tradingsymbol, t::text) order by o)
                        from unnest(s.instruments) with ordinality as u(t, o)
                        left join instruments i on i.instrument_token = u.t), '{}') as symbols
       from strategy_configurations s where s.namespace = $1 order by s.id`,
    [namespace],
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    strategyType: row.strategy_type,
    instruments: row.instruments,
    symbols: row.symbols,
    parameters: row.parameters,
    isActive: row.is_active,
  }));
}

interface LedgerSpec<R> {
  name: string;
  table: 'orders' | 'fills';
  columns: string;
  idColumn: keyof R & string;
  timeColumn: keyof R & string;
  namespace: BrokerNamespace;
  intervalMs: number;
  version: (row: R) => string;
  view: (row: R) => { [key: string]: unknown };
}

/**
 * New and changed rows since the previous read. Rows are read back to OVERLAP_SECONDS before the
 * newest time seen (a transaction that took its time commits rows older than ones already read)
 * and each row's version is remembered, so nothing is sent twice and nothing late is missed.
 */
function ledgerSource<R extends object>(db: () => Queryable, spec: LedgerSpec<R>): StreamSource {
  const { table, columns, idColumn, timeColumn } = spec;
  const sent = new Map<string, { version: string; at: number }>();
  const recent = new Map<string, { at: number; item: { [key: string]: unknown } }>();
  // The newest row time seen, as Postgres' own text (microseconds kept) for the next query.
  let newest: { text: string; ms: number } | null = null;
  const event = (items: { [key: string]: unknown }[]): StreamEvent => ({ event: spec.name, data: { items } });
  return {
    name: spec.name,
    intervalMs: spec.intervalMs,
    async poll() {
      const { rows } =
        newest === null
          ? await db().query<R & { t: string }>(
              `select * from (select ${columns}, ${timeColumn}::text as t from ${table} where namespace = $1
                order by ${timeColumn} desc, ${idColumn} desc limit ${RECENT_ROWS}) latest order by t, ${idColumn}`,
              [spec.namespace],
            )
          : await db().query<R & { t: string }>(
              `select ${columns}, ${timeColumn}::text as t from ${table}
                where namespace = $1 and ${timeColumn} > $2::timestamptz - interval '${OVERLAP_SECONDS} seconds'
                order by ${timeColumn}, ${idColumn} limit 1000`,
              [spec.namespace, newest.text],
            );
      const changed: { [key: string]: unknown }[] = [];
      for (const row of rows) {
        const id = String(row[idColumn]);
        const at = (row[timeColumn] as unknown as Date).getTime();
        const version = spec.version(row);
        if (newest === null || at > newest.ms) newest = { text: row.t, ms: at };
        if (sent.get(id)?.version === version) continue;
        sent.set(id, { version, at });
        const item = spec.view(row);
        recent.set(id, { at, item });
        changed.push(item);
      }
      // Until a first row exists the newest rows are asked for again: the rows' times are event
      // times, which need not be near this process's clock (CLOCK__OFFSET_MS), so a wall-clock
      // starting point could lie after every row to come.
      if (newest !== null) {
        const horizon = newest.ms - 2 * OVERLAP_SECONDS * 1000;
        for (const [id, entry] of sent) if (entry.at < horizon) sent.delete(id);
      }
      if (recent.size > RECENT_ROWS) {
        const keep = [...recent.entries()].sort((a, b) => b[1].at - a[1].at).slice(0, RECENT_ROWS);
        recent.clear();
        for (const [id, entry] of keep.reverse()) recent.set(id, entry);
      }
      return changed.length > 0 ? [event(changed)] : [];
    },
    current: () => [event([...recent.values()].sort((a, b) => a.at - b.at).map((entry) => entry.item))],
  };
}
