// Where the portfolio manager keeps its state.
//
// Redis (hot state, read by the risk manager and the API):
//   {ns}:portfolios             SET of the strategy ids that have a portfolio
//   {ns}:portfolio:<strategyId> one JSON document per strategy:
//     {
//       "version": 1,
//       "strategyId": "momentum-1",
//       "current": <pnl_snapshot data>,  // cash, realizedPnl, unrealizedPnl, chargesPaid, positions[]
//                                        // (quantity, averagePrice, lastPrice, realized/unrealized P&L),
//                                        // marked to the latest tick; asOf = updatedAt. What readers show.
//       "portfolio": { startingCash, cash, realizedPnl, chargesPaid,
//                      positions: { <token>: { instrumentToken, quantity, costBasis, realizedPnl } },
//                      lastPrices: { <token>: paise } },   // exact accounting; the manager resumes from it
//       "updatedAt": "<event time of the latest fill or tick applied>",
//       "lastSnapshotAt": "<event time>", "lastSnapshotEventId": "<uuid>" | null,
//       "changedSinceSnapshot": true,
//       "bookedNotes": { "<trading date>": "<contract_note_issued id>" }  // once a note is booked
//     }
//   A booked contract note shows as chargesAdjustment (note - estimates, included in chargesPaid)
//   in "current" and in "portfolio".
//   All amounts are integer paise; P&L is gross, net = realizedPnl + unrealizedPnl - chargesPaid.
//
// Postgres: one `portfolio_snapshots` row per pnl_snapshot event (unique on its event id).
import type { ChainableCommander, Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import type { Queryable } from '../../core/postgres/pool';
import { namespacedKey } from '../../core/redis/keys';
import { currentView, type SnapshotTaken, type StrategyBook } from './book';

export const PORTFOLIO_STATE_VERSION = 1;

export const portfolioKey = (namespace: BrokerNamespace, strategyId: string) => namespacedKey(namespace, 'portfolio', strategyId);
export const portfolioIndexKey = (namespace: BrokerNamespace) => namespacedKey(namespace, 'portfolios');

export interface StoredPortfolio extends StrategyBook {
  version: typeof PORTFOLIO_STATE_VERSION;
  current: ReturnType<typeof currentView>;
}

export function serializeBook(book: StrategyBook): string {
  const stored: StoredPortfolio = { version: PORTFOLIO_STATE_VERSION, ...book, current: currentView(book) };
  return JSON.stringify(stored);
}

function parseBook(strategyId: string, text: string): StrategyBook {
  const stored = JSON.parse(text) as Partial<StoredPortfolio>;
  if (stored.version !== PORTFOLIO_STATE_VERSION || stored.strategyId !== strategyId || typeof stored.portfolio !== 'object') {
    throw new Error(`the saved portfolio of ${strategyId} is not a version ${PORTFOLIO_STATE_VERSION} portfolio document`);
  }
  const { version: _version, current: _current, ...book } = stored as StoredPortfolio;
  return book;
}

/** Every strategy's book, as the last committed batch left it. */
export async function loadBooks(redis: Redis, namespace: BrokerNamespace): Promise<Map<string, StrategyBook>> {
  const strategyIds = (await redis.smembers(portfolioIndexKey(namespace))).sort();
  const books = new Map<string, StrategyBook>();
  if (strategyIds.length === 0) return books;
  const texts = await redis.mget(strategyIds.map((id) => portfolioKey(namespace, id)));
  strategyIds.forEach((strategyId, index) => {
    const text = texts[index];
    if (text === null || text === undefined) throw new Error(`portfolio index lists ${strategyId}, whose portfolio is missing`);
    books.set(strategyId, parseBook(strategyId, text));
  });
  return books;
}

/** Adds the changed books to the batch's MULTI. */
export function persistBooks(multi: ChainableCommander, namespace: BrokerNamespace, books: readonly StrategyBook[]): void {
  if (books.length === 0) return;
  multi.sadd(portfolioIndexKey(namespace), ...books.map((book) => book.strategyId));
  for (const book of books) multi.set(portfolioKey(namespace, book.strategyId), serializeBook(book));
}

const INSERT_SNAPSHOTS = `
  insert into portfolio_snapshots (
    namespace, strategy_id, cash_paise, realized_pnl_paise, unrealized_pnl_paise, charges_paid_paise,
    charges_adjustment_paise, positions, as_of, event_id)
  select $1, r.strategy_id, r.cash_paise, r.realized_pnl_paise, r.unrealized_pnl_paise, r.charges_paid_paise,
         r.charges_adjustment_paise, r.positions, r.as_of, r.event_id
    from jsonb_to_recordset($2::jsonb) as r(
      strategy_id text, cash_paise bigint, realized_pnl_paise bigint, unrealized_pnl_paise bigint,
      charges_paid_paise bigint, charges_adjustment_paise bigint, positions jsonb, as_of timestamptz, event_id uuid)
  on conflict (event_id) do nothing`;

export async function insertSnapshots(db: Queryable, namespace: BrokerNamespace, snapshots: readonly SnapshotTaken[]): Promise<void> {
  if (snapshots.length === 0) return;
  const rows = snapshots.map(({ id, data }) => ({
    strategy_id: data.strategyId,
    cash_paise: data.cash,
    realized_pnl_paise: data.realizedPnl,
    unrealized_pnl_paise: data.unrealizedPnl,
    charges_paid_paise: data.chargesPaid,
    charges_adjustment_paise: data.chargesAdjustment ?? 0,
    positions: data.positions,
    as_of: data.asOf,
    event_id: id,
  }));
  await db.query(INSERT_SNAPSHOTS, [namespace, JSON.stringify(rows)]);
}
