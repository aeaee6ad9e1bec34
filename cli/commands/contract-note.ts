// `alpha-panda contract-note [--namespace ns] [--date YYYY-MM-DD] [--json]`: Zerodha's contract
// note of a trading day, computed from that day's fills in Postgres (core/domain/trading/
// contract-note.ts), stored (contract_notes, final once issued), and published as
// contract_note_issued on {ns}.contract-notes, so that the portfolio manager books each
// strategy's difference between the note and the per-fill estimates. The event id is derived
// from namespace and date: running the command again re-sends the same event, booked once.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfigOrExit } from '../../core/config/load';
import { createEvent, type Charges } from '../../core/domain/events';
import { toIst } from '../../core/domain/market-hours';
import { formatRupees, paise } from '../../core/domain/money';
import { BROKER_NAMESPACES, type BrokerNamespace } from '../../core/domain/namespace';
import { namespaceTopics, type NamespaceTopics } from '../../core/domain/topics';
import { computeContractNote, contractNoteEventId, contractNoteIssued, type ContractNote } from '../../core/domain/trading/contract-note';
import { createKafka } from '../../core/kafka/client';
import { createEventProducer, type EventProducer } from '../../core/kafka/producer';
import { configureLogging } from '../../core/logging';
import { ContractNoteChangedError, loadDayFills, storeContractNote } from '../../core/postgres/contract-notes';
import { createPool, type Pool } from '../../core/postgres/pool';

export const CONTRACT_NOTE_SOURCE = 'contract-note';

export interface IssueDeps {
  db: Pool;
  producer: Pick<EventProducer, 'send'>;
  topics: NamespaceTopics;
  now?: () => Date;
}

export interface IssueResult {
  /** `empty`: the day has no fills, so there is no note to store or send. */
  status: 'issued' | 'unchanged' | 'empty';
  note: ContractNote;
  eventId: string | null;
}

/** Computes, stores and publishes the note of a day (throws ContractNoteChangedError if a different one was issued). */
export async function issueContractNote(deps: IssueDeps, namespace: BrokerNamespace, tradingDate: string): Promise<IssueResult> {
  const fills = await loadDayFills(deps.db, namespace, tradingDate);
  const note = computeContractNote(namespace, tradingDate, fills);
  if (fills.length === 0) return { status: 'empty', note, eventId: null };
  const eventId = contractNoteEventId(namespace, tradingDate);
  const stored = await storeContractNote(deps.db, note, eventId);
  // Sent on every run: a run that stored the note but died before sending is completed by the next.
  const envelope = createEvent({
    type: 'contract_note_issued',
    source: CONTRACT_NOTE_SOURCE,
    namespace,
    data: contractNoteIssued(note, stored.createdAt.toISOString()),
    id: eventId,
    now: (deps.now ?? (() => new Date()))(),
  });
  await deps.producer.send(deps.topics.contractNotes, tradingDate, envelope);
  return { status: stored.status, note, eventId };
}

// ---- the table -----------------------------------------------------------------------------

const money = (amount: number) => formatRupees(paise(amount));
const LINE_HEADERS = ['brokerage', 'STT', 'exchange', 'SEBI', 'stamp', 'GST', 'total'];
const lineCells = (c: Charges) => [c.brokerage, c.stt, c.exchangeTransaction, c.sebi, c.stampDuty, c.gst, c.total].map(money);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // The first column is a name (left-aligned); the others are figures (right-aligned).
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatContractNote(note: ContractNote, status: IssueResult['status']): string {
  const head = `Contract note ${note.namespace} ${note.tradingDate} (IST): ${note.fills} fill(s), turnover ₹${money(note.turnover)}`;
  if (status === 'empty') return `${head}\nNo fills on that day: nothing issued.`;
  const scrips = table(
    ['scrip', 'bought', 'buy value', 'sold', 'sell value', 'intraday', 'delivery', ...LINE_HEADERS],
    note.scrips.map((s) => [
      `${s.exchange}:${s.tradingsymbol}`,
      String(s.buy.quantity),
      money(s.buy.value),
      String(s.sell.quantity),
      money(s.sell.value),
      String(s.intraday.quantity),
      s.delivery.buyQuantity > 0 ? `buy ${s.delivery.buyQuantity}` : s.delivery.sellQuantity > 0 ? `sell ${s.delivery.sellQuantity}` : '0',
      ...lineCells(s.charges),
    ]),
  );
  const totals = table(
    ['', ...LINE_HEADERS],
    [
      ['note', ...lineCells(note.totals)],
      ['estimate (per fill)', ...lineCells(note.estimate)],
      ['difference', ...lineCells(note.difference)],
    ],
  );
  const strategies = table(
    ['strategy', 'turnover', 'note', 'estimate', 'difference'],
    note.strategies.map((s) => [s.strategyId, money(s.turnover), money(s.charges.total), money(s.estimate.total), money(s.difference.total)]),
  );
  const outcome =
    status === 'issued' ? 'Issued and sent to the portfolio manager.' : 'Already issued; the same note was sent again (booked once).';
  return [head, '', scrips, '', totals, '', strategies, '', `Amounts in rupees. ${outcome}`].join('\n');
}

// ---- the command ---------------------------------------------------------------------------

function tradingDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || toIst(new Date(`${value}T12:00:00+05:30`)).date !== value) {
    throw new InvalidArgumentError('--date must be a calendar date, YYYY-MM-DD');
  }
  return value;
}

export function registerContractNoteCommands(program: Command): void {
  program
    .command('contract-note')
    .description("compute a trading day's contract note from its fills, store it and book it in the portfolios")
    .addOption(new Option('-n, --namespace <namespace>', 'broker namespace (default: BROKER_NAMESPACE)').choices(BROKER_NAMESPACES))
    .option('-d, --date <YYYY-MM-DD>', 'the IST trading date (default: today in IST)', tradingDate)
    .option('--json', 'print the note as JSON')
    .action(async (options: { namespace?: BrokerNamespace; date?: string; json?: boolean }) => {
      const config = loadConfigOrExit();
      configureLogging({ level: 'error', console: true });
      const namespace = options.namespace ?? config.brokerNamespace;
      const date = options.date ?? toIst(new Date()).date;
      const db = createPool(config, { max: 2, applicationName: 'alpha-panda-contract-note' });
      const producer = createEventProducer(createKafka(config, `${config.redpanda.clientId}-contract-note`));
      let code = 0;
      try {
        await producer.connect();
        const result = await issueContractNote({ db, producer, topics: namespaceTopics(namespace) }, namespace, date);
        process.stdout.write(
          options.json ? `${JSON.stringify({ status: result.status, eventId: result.eventId, ...result.note }, null, 2)}\n` : `${formatContractNote(result.note, result.status)}\n`,
        );
      } catch (error) {
        const refused = error instanceof ContractNoteChangedError;
        process.stderr.write(`contract-note: ${refused ? 'refused: ' : ''}${(error as Error).message}\n`);
        code = 1;
      } finally {
        await producer.disconnect().catch(() => undefined);
        await db.end();
      }
      // No idle client socket keeps the command alive.
      process.exit(code);
    });
}
