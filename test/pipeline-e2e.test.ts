// The paper pipeline end to end on the real broker, Postgres and Redis: scripted ticks through the
// strategy runner, risk manager, paper trading engine and portfolio manager, with every figure
// checked against a scenario computed by hand (charges to the paisa).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../core/domain/events';
import { makeTick, RELIANCE } from '../core/domain/trading/testing';
import { createPipelineHarness, type PipelineHarness } from './support/pipeline';
import { waitFor } from './support/temporal';

// Two low-frequency demo strategies on RELIANCE, a BUY or SELL view every 2nd tick, BUY first:
//   demo_a trades 10 shares; demo_b 1,000 shares but may not place an order over ₹10,000.
// Ticks (paise): t1 250000, t2 250000 | t3 250500, t4 251000 | t5 251500, t6 251500
//   t2: demo_a BUY 10 (validated, MARKET order), demo_b BUY 1000 (rejected: max_order_value)
//   t3: demo_a's BUY fills at 250500 + 5 bps slippage = 250625.25 -> up to the 5-paise tick -> 250630
//   t4: demo_a SELL 10 (validated: closes the long); demo_b holds nothing (its BUY was rejected)
//       and may not short: no signal
//   t5: demo_a's SELL fills at 251500 - 5 bps = 251374.25 -> down to the tick -> 251370
// Charges, MIS, per Zerodha's schedule:
//   BUY 10 @ 2506.30 (turnover 2,506,300 paise): brokerage min(2000, 0.03% = 751.89) = 752;
//     STT 0; NSE txn 0.00297% = 74.44 -> 74; SEBI 0.0001% = 2.51 -> 3; stamp 0.003% = 75.19 -> 75;
//     GST 18% of (752 + 74 + 3 = 829) = 149.22 -> 149. Total 1,053.
//   SELL 10 @ 2513.70 (turnover 2,513,700): brokerage 754.11 -> 754; STT 0.025% = 628.43 paise,
//     rounded to the rupee -> 600; txn 74.66 -> 75; SEBI 2.51 -> 3; stamp 0;
//     GST 18% of (754 + 75 + 3 = 832) = 149.76 -> 150. Total 1,582.
// P&L: realized (251370 - 250630) x 10 = 7,400 gross; charges 2,635;
//   cash 100,000,000 - 2,506,300 - 1,053 + 2,513,700 - 1,582 = 100,004,765.
const START_CASH = 100_000_000;

describe('paper pipeline end to end', () => {
  let pipeline: PipelineHarness;
  let redis: Redis;

  beforeAll(async () => {
    pipeline = await createPipelineHarness({
      strategies: [
        { id: 'demo_a', strategyType: 'low_frequency_demo', instruments: [RELIANCE], parameters: { everyTicks: 2, quantity: 10 } },
        {
          id: 'demo_b',
          strategyType: 'low_frequency_demo',
          instruments: [RELIANCE],
          parameters: { everyTicks: 2, quantity: 1000 },
          riskLimits: { maxOrderValue: 1_000_000 },
        },
      ],
      env: { PAPER__SLIPPAGE_BPS: '5', PAPER__STARTING_CASH_PAISE: String(START_CASH), PORTFOLIO__SNAPSHOT_INTERVAL_MS: '1' },
    });
    redis = new Redis(pipeline.config.redis.url);
    await pipeline.startServices();
  });
  afterAll(async () => {
    redis?.disconnect();
    await pipeline?.close();
  });

  it('turns scripted ticks into signals, risk decisions, fills and P&L that match the hand-computed scenario', async () => {
    const { topics } = pipeline;
    // The tick's price is where the risk manager reads it (the feed's last prices) once it is sent.
    const [t1] = await pipeline.sendTicks([makeTick(250_000)]);
    const [t2] = await pipeline.sendTicks([makeTick(250_000)]);
    const [buyOrder] = await pipeline.waitForCount(topics.ordersSubmitted, 1);
    await pipeline.waitForCount(topics.signalsRejected, 1);

    await pipeline.sendTicks([makeTick(250_500)]);
    await pipeline.waitForCount(topics.ordersFilled, 1);
    // The strategies decide on what they hold: the runner books the fill before t4.
    await pipeline.waitForQuiet();
    const [t4] = await pipeline.sendTicks([makeTick(251_000)]);
    await pipeline.waitForCount(topics.ordersSubmitted, 2);
    await pipeline.sendTicks([makeTick(251_500)]);
    const fills = await pipeline.waitForCount(topics.ordersFilled, 2);

    const raw = pipeline.read(topics.signalsRaw) as Envelope<'signal_generated'>[];
    expect(raw.map((s) => [s.data.strategyId, s.data.side, s.data.quantity])).toEqual(
      expect.arrayContaining([
        ['demo_a', 'BUY', 10],
        ['demo_b', 'BUY', 1000],
        ['demo_a', 'SELL', 10],
      ]),
    );
    expect(raw).toHaveLength(3);
    // Each signal follows from the tick that triggered it: t2 for the BUYs, t4 for the SELLs.
    for (const signal of raw) {
      const cause = signal.data.side === 'BUY' ? t2! : t4!;
      expect(signal).toMatchObject({ causationId: cause.id, correlationId: cause.correlationId });
    }
    expect(t1!.id).not.toBe(t2!.id);

    const validated = pipeline.read(topics.signalsValidated) as Envelope<'signal_validated'>[];
    expect(validated.map((v) => [v.data.signal.strategyId, v.data.signal.side, v.data.approvedQuantity])).toEqual([
      ['demo_a', 'BUY', 10],
      ['demo_a', 'SELL', 10],
    ]);
    const rejected = pipeline.read(topics.signalsRejected) as Envelope<'signal_rejected'>[];
    expect(rejected.map((r) => [r.data.signal.strategyId, r.data.failedRules])).toEqual([
      ['demo_b', ['max_order_value']],
    ]);

    expect(buyOrder).toMatchObject({ data: { strategyId: 'demo_a', side: 'BUY', quantity: 10, orderType: 'MARKET' } });
    const [buyFill, sellFill] = fills as Envelope<'order_filled'>[];
    expect(buyFill!.data).toMatchObject({
      side: 'BUY',
      quantity: 10,
      price: 250_630,
      remainingQuantity: 0,
      charges: { brokerage: 752, stt: 0, exchangeTransaction: 74, sebi: 3, stampDuty: 75, gst: 149, total: 1_053 },
    });
    expect(sellFill!.data).toMatchObject({
      side: 'SELL',
      quantity: 10,
      price: 251_370,
      remainingQuantity: 0,
      charges: { brokerage: 754, stt: 600, exchangeTransaction: 75, sebi: 3, stampDuty: 0, gst: 150, total: 1_582 },
    });
    // One trade followed end to end: the fill carries the correlation id of the tick that started it.
    expect(buyFill!.correlationId).toBe(t2!.correlationId);

    // Snapshots run on event time: the next tick after the last fill takes the final one.
    await pipeline.sendTicks([makeTick(251_500)]);
    const final = await waitFor(async () => {
      const snapshots = pipeline.read(topics.pnlSnapshots) as Envelope<'pnl_snapshot'>[];
      const latest = snapshots.filter((s) => s.data.strategyId === 'demo_a').at(-1);
      return latest?.data.chargesPaid === 2_635 && latest.data.realizedPnl === 7_400 && latest;
    }, `the final P&L snapshot of demo_a; saw ${JSON.stringify(pipeline.read(topics.pnlSnapshots).map((s) => s.data))}`);
    expect(final.data).toMatchObject({ cash: 100_004_765, realizedPnl: 7_400, unrealizedPnl: 0, chargesPaid: 2_635 });
    expect(final.data.positions.filter((p) => p.quantity !== 0)).toEqual([]);

    const { rows } = await pipeline.pool.query(
      `select side, quantity, price_paise, charges_paise from fills where namespace = 'paper' order by filled_at, side`,
    );
    expect(rows).toEqual([
      { side: 'BUY', quantity: 10, price_paise: 250_630, charges_paise: 1_053 },
      { side: 'SELL', quantity: 10, price_paise: 251_370, charges_paise: 1_582 },
    ]);
    const snapshotRows = await pipeline.pool.query(
      `select cash_paise from portfolio_snapshots where namespace = 'paper' and strategy_id = 'demo_a' order by as_of desc limit 1`,
    );
    expect(snapshotRows.rows[0]).toEqual({ cash_paise: 100_004_765 });
  });
});
