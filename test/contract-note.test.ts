// The contract note end to end on the real Postgres, Kafka and Redis: a day of fills recorded in
// Postgres and booked by the portfolio manager at their per-fill estimates; the command's core
// computes the note, stores it and publishes it; the portfolio manager books each strategy's
// difference once, however often the note is issued; a note that would change is refused.
import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueContractNote, type IssueDeps } from '../cli/commands/contract-note';
import { createEvent, type Envelope, type OrderFilled } from '../core/domain/events';
import { consumerGroup } from '../core/domain/namespace';
import { strategyInstrumentKey } from '../core/domain/topics';
import { orderCharges, type Product, type Side } from '../core/domain/trading/charges';
import { contractNoteEventId } from '../core/domain/trading/contract-note';
import { paise } from '../core/domain/money';
import { createEventProducer, type EventProducer } from '../core/kafka/producer';
import { configureLogging } from '../core/logging';
import { insertFills } from '../services/trading-engine/store';
import { portfolioKey } from '../services/portfolio-manager/store';
import { createPipelineHarness, type PipelineHarness } from './support/pipeline';
import { waitFor } from './support/temporal';
import { waitConsumed } from './support/topics';

configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const DATE = '2026-12-01';
const INFY = 408_065;
const RELIANCE = 738_561;
const TCS = 2_953_217;
const SYMBOL: Record<number, string> = { [INFY]: 'INFY', [RELIANCE]: 'RELIANCE', [TCS]: 'TCS' };
const START = 10_000_000; // ₹1,00,000 per strategy

let harness: PipelineHarness;
let producer: EventProducer;
let admin: Admin;
let redis: Redis;
let deps: IssueDeps;
let sequence = 0;

/** A complete order of one fill at 10:0x IST on the note's day, with its per-fill estimate. */
function fill(strategyId: string, token: number, product: Product, side: Side, quantity: number, price: number): Envelope<'order_filled'> {
  sequence += 1;
  const orderId = `cn-${sequence}-${randomUUID().slice(0, 8)}`;
  const filledAt = `${DATE}T04:${String(30 + sequence).padStart(2, '0')}:00.000Z`;
  const data: OrderFilled = {
    orderId,
    strategyId,
    instrumentToken: token,
    tradingsymbol: SYMBOL[token]!,
    side,
    product,
    fillId: `${orderId}-1`,
    quantity,
    price,
    cumulativeQuantity: quantity,
    remainingQuantity: 0,
    charges: orderCharges(product, side, paise(price), quantity),
    filledAt,
  };
  return createEvent({ type: 'order_filled', source: 'trading-engine', namespace: 'paper', data, now: new Date(filledAt) });
}

/** Records fills as the trading engine does (orders and fills rows) and sends them to the portfolio manager. */
async function trade(fills: Envelope<'order_filled'>[]) {
  for (const { data } of fills) {
    await harness.pool.query(
      `insert into orders (namespace, order_id, strategy_id, instrument_token, tradingsymbol, side, product, order_type, quantity,
                           status, filled_quantity, average_price_paise, correlation_id, submitted_at)
       values ('paper', $1, $2, $3, $4, $5, $6, 'MARKET', $7, 'COMPLETE', $7, $8, $9, $10)`,
      [data.orderId, data.strategyId, data.instrumentToken, data.tradingsymbol, data.side, data.product, data.quantity, data.price, randomUUID(), data.filledAt],
    );
  }
  await insertFills(harness.pool, 'paper', fills.map((envelope) => ({ eventId: envelope.id, fill: envelope.data })));
  await producer.sendBatch(
    fills.map((envelope) => ({
      topic: harness.topics.ordersFilled,
      key: strategyInstrumentKey(envelope.data.strategyId, envelope.data.instrumentToken),
      envelope,
    })),
  );
}

const portfolioGroup = () => `${harness.prefix}${consumerGroup('paper', 'portfolio-manager')}`;
const current = async (strategyId: string) => JSON.parse((await redis.get(portfolioKey('paper', strategyId)))!).current;

beforeAll(async () => {
  harness = await createPipelineHarness({ strategies: [], env: { PAPER__STARTING_CASH_PAISE: String(START) } });
  producer = createEventProducer(harness.kafka);
  await producer.connect();
  admin = harness.kafka.admin();
  await admin.connect();
  redis = new Redis(harness.config.redis.url);
  deps = { db: harness.pool, producer, topics: harness.topics };
  await harness.startServices(['portfolio-manager']);
});

afterAll(async () => {
  redis?.disconnect();
  await admin?.disconnect();
  await producer?.disconnect();
  await harness?.close();
});

describe('contract note', () => {
  it('stores the day\'s note, books each strategy\'s difference once, and refuses a changed note', async () => {
    // The day of core/domain/trading/contract-note.test.ts, where every figure is worked out by hand.
    await trade([
      fill('momentum-1', INFY, 'MIS', 'BUY', 10, 142_500),
      fill('momentum-1', INFY, 'MIS', 'SELL', 10, 144_000),
      fill('rsi-1', INFY, 'MIS', 'BUY', 8, 141_000),
      fill('rsi-1', INFY, 'MIS', 'SELL', 8, 142_000),
      fill('momentum-1', RELIANCE, 'CNC', 'BUY', 4, 250_000),
      fill('momentum-1', RELIANCE, 'CNC', 'SELL', 4, 252_000),
      fill('rsi-1', TCS, 'CNC', 'BUY', 3, 350_000),
    ]);
    // Booked at the per-fill estimates: momentum-1 3,785, rsi-1 2,514.
    // momentum-1 cash: 10,000,000 - 1,425,000 + 1,440,000 - 1,000,000 + 1,008,000 = 10,023,000 before charges;
    // rsi-1: 10,000,000 - 1,128,000 + 1,136,000 - 1,050,000 = 8,958,000.
    await waitFor(async () => {
      const [momentum, rsi] = await Promise.all([redis.get(portfolioKey('paper', 'momentum-1')), redis.get(portfolioKey('paper', 'rsi-1'))]);
      return momentum !== null && rsi !== null && JSON.parse(momentum).current.chargesPaid === 3_785 && JSON.parse(rsi).current.chargesPaid === 2_514;
    }, 'the fills booked at their estimates', 60_000);
    expect(await current('momentum-1')).toMatchObject({ cash: 10_023_000 - 3_785 });

    const first = await issueContractNote(deps, 'paper', DATE);
    const eventId = contractNoteEventId('paper', DATE);
    expect(first).toMatchObject({ status: 'issued', eventId });
    expect(first.note.totals.total).toBe(5_088);

    const { rows: notes } = await harness.pool.query('select * from contract_notes');
    expect(notes).toMatchObject([
      {
        namespace: 'paper',
        fills: 7,
        turnover_paise: 8_187_000,
        brokerage_paise: 2_141,
        stt_paise: 2_000,
        exchange_transaction_paise: 243,
        sebi_paise: 8,
        stamp_duty_paise: 265,
        gst_paise: 431,
        total_paise: 5_088,
        estimate_paise: 6_299,
        difference_paise: -1_211,
        event_id: eventId,
      },
    ]);
    expect(notes[0].lines).toEqual(JSON.parse(JSON.stringify(first.note)));
    const { rows: allocations } = await harness.pool.query(
      'select strategy_id, charges_paise, estimate_paise, adjustment_paise from contract_note_allocations order by strategy_id',
    );
    expect(allocations).toEqual([
      { strategy_id: 'momentum-1', charges_paise: 2_613, estimate_paise: 3_785, adjustment_paise: -1_172 },
      { strategy_id: 'rsi-1', charges_paise: 2_475, estimate_paise: 2_514, adjustment_paise: -39 },
    ]);

    // The portfolio books the note's charges in place of the estimates.
    await waitFor(async () => (await current('momentum-1')).chargesAdjustment === -1_172, 'the note booked', 60_000);
    expect(await current('momentum-1')).toMatchObject({ chargesPaid: 2_613, chargesAdjustment: -1_172, cash: 10_023_000 - 2_613 });
    await waitFor(async () => (await current('rsi-1')).chargesAdjustment === -39, 'the note booked for rsi-1', 60_000);
    expect(await current('rsi-1')).toMatchObject({ chargesPaid: 2_475, chargesAdjustment: -39, cash: 8_958_000 - 2_475 });

    // Again: the same note, the same event id, booked once.
    const second = await issueContractNote(deps, 'paper', DATE);
    expect(second).toMatchObject({ status: 'unchanged', eventId });
    const sent = await harness.waitForCount(harness.topics.contractNotes, 2);
    expect(sent.map((envelope) => envelope.id)).toEqual([eventId, eventId]);
    await waitConsumed(admin, portfolioGroup(), [harness.topics.contractNotes]);
    expect(await current('momentum-1')).toMatchObject({ chargesPaid: 2_613, chargesAdjustment: -1_172, cash: 10_023_000 - 2_613 });
    expect(await current('rsi-1')).toMatchObject({ chargesPaid: 2_475, chargesAdjustment: -39 });

    // A fill recorded after the note was issued would change it: refused, nothing replaced or sent.
    const late = fill('rsi-1', TCS, 'CNC', 'BUY', 1, 351_000);
    await trade([late]);
    await expect(issueContractNote(deps, 'paper', DATE)).rejects.toThrow(/issued at .* and booked; the fills now give a different note \(8 fills/);
    expect((await harness.pool.query('select total_paise from contract_notes')).rows).toEqual([{ total_paise: 5_088 }]);
    expect(harness.read(harness.topics.contractNotes)).toHaveLength(2);
  });

  it('issues nothing for a day without fills', async () => {
    const result = await issueContractNote(deps, 'paper', '2026-12-02');
    expect(result).toMatchObject({ status: 'empty', eventId: null, note: { fills: 0 } });
    expect((await harness.pool.query("select count(*)::int as n from contract_notes where trading_date = '2026-12-02'")).rows).toEqual([{ n: 0 }]);
  });
});
