// Contract notes in Postgres: the fills of one namespace's IST trading day (with their order's
// tradingsymbol and product and their instrument's exchange), and the issued notes (tables in
// migrations/1763978400004_contract-notes.js).
//
// A note, once issued, is final, as a broker's contract note is: storing the same note again
// (same digest) is a no-op that returns the stored one, so a re-run re-sends the same event; a
// note that differs (fills recorded after it was issued) is refused with ContractNoteChangedError
// rather than replaced, because the portfolios have booked the first one.
import { createHash } from 'node:crypto';
import { charges as chargesSchema } from '../domain/events';
import type { BrokerNamespace } from '../domain/namespace';
import type { ContractNote, NoteFill } from '../domain/trading/contract-note';
import { formatRupees, paise } from '../domain/money';
import { withTransaction, type Pool, type Queryable } from './pool';

export class ContractNoteChangedError extends Error {
  override name = 'ContractNoteChangedError';
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The instants [start, end) of an IST calendar date. */
export function istDayBounds(tradingDate: string): { start: Date; end: Date } {
  const start = new Date(`${tradingDate}T00:00:00+05:30`);
  if (Number.isNaN(start.getTime())) throw new Error(`not a date: ${tradingDate}`);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

const SELECT_DAY_FILLS = `
  select f.fill_id, f.order_id, f.strategy_id, f.instrument_token, o.tradingsymbol, o.product,
         coalesce(i.exchange, 'NSE') as exchange, f.side, f.quantity, f.price_paise, f.charges, f.filled_at
    from fills f
    left join orders o on o.namespace = f.namespace and o.order_id = f.order_id
    left join instruments i on i.instrument_token = f.instrument_token
   where f.namespace = $1 and f.filled_at >= $2 and f.filled_at < $3
   order by f.filled_at, f.fill_id`;

export async function loadDayFills(db: Queryable, namespace: BrokerNamespace, tradingDate: string): Promise<NoteFill[]> {
  const { start, end } = istDayBounds(tradingDate);
  const { rows } = await db.query(SELECT_DAY_FILLS, [namespace, start, end]);
  return rows.map((row): NoteFill => {
    // The product decides the brokerage; without the order row it is unknown, and guessing would misstate the note.
    if (row.product === null) throw new Error(`fill ${row.fill_id} has no order row ${row.order_id}: its product is unknown`);
    return {
      fillId: row.fill_id,
      orderId: row.order_id,
      strategyId: row.strategy_id,
      instrumentToken: row.instrument_token,
      tradingsymbol: row.tradingsymbol,
      exchange: row.exchange,
      side: row.side,
      product: row.product,
      quantity: row.quantity,
      price: row.price_paise,
      charges: chargesSchema.parse(row.charges),
      filledAt: (row.filled_at as Date).toISOString(),
    };
  });
}

/** Fingerprint of a note as computed (its fields are built in a fixed order). */
export const noteDigest = (note: ContractNote) => createHash('sha256').update(JSON.stringify(note)).digest('hex');

const INSERT_NOTE = `
  insert into contract_notes (
    namespace, trading_date, fills, turnover_paise, brokerage_paise, stt_paise, exchange_transaction_paise,
    sebi_paise, stamp_duty_paise, gst_paise, total_paise, estimate_paise, difference_paise, lines, digest, event_id)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
  on conflict (namespace, trading_date) do nothing
  returning created_at`;

const INSERT_ALLOCATIONS = `
  insert into contract_note_allocations (
    namespace, trading_date, strategy_id, turnover_paise, charges, charges_paise, estimate, estimate_paise, adjustment_paise)
  select $1, $2, r.strategy_id, r.turnover_paise, r.charges, r.charges_paise, r.estimate, r.estimate_paise, r.adjustment_paise
    from jsonb_to_recordset($3::jsonb) as r(
      strategy_id text, turnover_paise bigint, charges jsonb, charges_paise bigint, estimate jsonb, estimate_paise bigint,
      adjustment_paise bigint)`;

export interface StoredNote {
  status: 'issued' | 'unchanged';
  createdAt: Date;
}

/** Stores a newly issued note with its allocations, or confirms it is the one already stored. */
export async function storeContractNote(pool: Pool, note: ContractNote, eventId: string): Promise<StoredNote> {
  const digest = noteDigest(note);
  return withTransaction(pool, async (client) => {
    const { totals } = note;
    const inserted = await client.query(INSERT_NOTE, [
      note.namespace, note.tradingDate, note.fills, note.turnover, totals.brokerage, totals.stt, totals.exchangeTransaction,
      totals.sebi, totals.stampDuty, totals.gst, totals.total, note.estimate.total, note.difference.total,
      JSON.stringify(note), digest, eventId,
    ]);
    if (inserted.rows.length === 1) {
      const allocations = note.strategies.map((s) => ({
        strategy_id: s.strategyId,
        turnover_paise: s.turnover,
        charges: s.charges,
        charges_paise: s.charges.total,
        estimate: s.estimate,
        estimate_paise: s.estimate.total,
        adjustment_paise: s.difference.total,
      }));
      await client.query(INSERT_ALLOCATIONS, [note.namespace, note.tradingDate, JSON.stringify(allocations)]);
      return { status: 'issued', createdAt: inserted.rows[0].created_at as Date };
    }
    const { rows } = await client.query(
      'select digest, fills, total_paise, created_at from contract_notes where namespace = $1 and trading_date = $2',
      [note.namespace, note.tradingDate],
    );
    const stored = rows[0];
    if (stored.digest === digest) return { status: 'unchanged', createdAt: stored.created_at as Date };
    throw new ContractNoteChangedError(
      `the ${note.namespace} contract note of ${note.tradingDate} was issued at ${(stored.created_at as Date).toISOString()} ` +
        `(${stored.fills} fills, charges ₹${formatRupees(paise(stored.total_paise))}) and booked; the fills now give a different note ` +
        `(${note.fills} fills, charges ₹${formatRupees(paise(note.totals.total))}). An issued note is final and is not replaced.`,
    );
  });
}
