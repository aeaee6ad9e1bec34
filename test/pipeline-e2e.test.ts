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
//       demo_a's BUY fills at once, at its tick's 250000 + 5 bps slippage = 250125 (a 5-paise tick)
//   t4: demo_a SELL 10 (validated: closes the long); demo_b holds nothing (its BUY was rejected)
//       and may not short: no signal. The SELL fills at 251000 - 5 bps = 250874.5 -> down to the
//       tick -> 250870
// Charges, MIS, per Zerodha's schedule:
//   BUY 10 @ 2501.25 (turnover 2,501,250 paise): brokerage min(2000, 0.03% = 750.38) = 750;
//     STT 0; NSE txn 0.00297% = 74.29 -> 74; SEBI 0.0001% = 2.50 -> 3; stamp 0.003% = 75.04 -> 75;
//     GST 18% of (750 + 74 + 3 = 827) = 148.86 -> 149. Total 1,051.
//   SELL 10 @ 2508.70 (turnover 2,508,700): brokerage 752.61 -> 753; STT 0.025% = 627.18 paise,
//     rounded to the rupee -> 600; txn 74.51 -> 75; SEBI 2.51 -> 3; stamp 0;
//     GST 18% of (753 + 75 + 3 = 831) = 149.58 -> 150. Total 1,581.
// P&L: realized (250870 - 250125) x 10 = 7,450 gross; charges 2,632;
//   cash 100,000,000 - 2,501,250 - 1,051 + 2,508,700 - 1,581 = 100,004,818.
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
      price: 250_125,
      remainingQuantity: 0,
      charges: { brokerage: 750, stt: 0, exchangeTransaction: 74, sebi: 3, stampDuty: 75, gst: 149, total: 1_051 },
    });
    expect(sellFill!.data).toMatchObject({
      side: 'SELL',
      quantity: 10,
      price: 250_870,
      remainingQuantity: 0,
      charges: { brokerage: 753, stt: 600, exchangeTransaction: 75, sebi: 3, stampDuty: 0, gst: 150, total: 1_581 },
    });
    // One trade followed end to end: the fill carries the correlation id of the tick that started it.
    expect(buyFill!.correlationId).toBe(t2!.correlationId);

    // Snapshots run on event time: the next tick after the last fill takes the final one.
    await pipeline.sendTicks([makeTick(251_500)]);
    const final = await waitFor(async () => {
      const snapshots = pipeline.read(topics.pnlSnapshots) as Envelope<'pnl_snapshot'>[];
      const latest = snapshots.filter((s) => s.data.strategyId === 'demo_a').at(-1);
      return latest?.data.chargesPaid === 2_632 && latest.data.realizedPnl === 7_450 && latest;
    }, `the final P&L snapshot of demo_a; saw ${JSON.stringify(pipeline.read(topics.pnlSnapshots).map((s) => s.data))}`);
    expect(final.data).toMatchObject({ cash: 100_004_818, realizedPnl: 7_450, unrealizedPnl: 0, chargesPaid: 2_632 });
    expect(final.data.positions.filter((p) => p.quantity !== 0)).toEqual([]);

    const { rows } = await pipeline.pool.query(
      `select side, quantity, price_paise, charges_paise from fills where namespace = 'paper' order by filled_at, side`,
    );
    expect(rows).toEqual([
      { side: 'BUY', quantity: 10, price_paise: 250_125, charges_paise: 1_051 },
      { side: 'SELL', quantity: 10, price_paise: 250_870, charges_paise: 1_581 },
    ]);
    const snapshotRows = await pipeline.pool.query(
      `select cash_paise from portfolio_snapshots where namespace = 'paper' and strategy_id = 'demo_a' order by as_of desc limit 1`,
    );
    expect(snapshotRows.rows[0]).toEqual({ cash_paise: 100_004_818 });
  });
});
