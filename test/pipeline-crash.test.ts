// Effectively-once under a crash: the whole paper pipeline (strategy runner, risk manager, trading
// engine, portfolio manager) runs in a child process that is killed with SIGKILL in the middle of
// a stream and started again. It must end with exactly the portfolio, fills and trade counts of an
// uninterrupted run of the same ticks: nothing lost, nothing twice.
//
// Ticks go one at a time and each waits for every stage to catch up, so both runs see the same
// interleaving of ticks, signals and orders. The kill lands in the worst place: the process kills
// itself right after the trading engine's second batch of fills reached the broker, before the
// engine committed its state, dedup marks and offsets (see test/fixtures/pipeline-process.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../core/domain/events';
import { makeTick, RELIANCE } from '../core/domain/trading/testing';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import { riskStateKey } from '../services/risk-manager/store';
import { createPipelineHarness, type PipelineHarness, type StrategyRow } from './support/pipeline';

const STRATEGIES: StrategyRow[] = [
  { id: 'demo', strategyType: 'low_frequency_demo', instruments: [RELIANCE], parameters: { everyTicks: 3, quantity: 10 } },
  { id: 'momo', strategyType: 'momentum', instruments: [RELIANCE], parameters: { lookbackTicks: 4, thresholdBps: 20, quantity: 5 } },
];
const TICKS = 30;
const CRASH_AFTER_FILL_BATCHES = 2;
/** A wave with a drift, on the 5-paise grid: enough moves for momentum entries and exits. */
const priceAt = (i: number) => 250_000 + Math.round((1_500 * Math.sin(i / 3) + 40 * i) / 5) * 5;

interface Outcome {
  fills: unknown[];
  uniqueFillIds: number;
  fillRows: number;
  portfolios: unknown[];
  dailyTrades: unknown;
}

async function outcomeOf(pipeline: PipelineHarness): Promise<Outcome> {
  const redis = new Redis(pipeline.config.redis.url);
  try {
    const fills = pipeline.read(pipeline.topics.ordersFilled) as Envelope<'order_filled'>[];
    const unique = [...new Map(fills.map((fill) => [fill.id, fill])).values()];
    const books = await loadBooks(redis, 'paper');
    const risk = JSON.parse((await redis.get(riskStateKey('paper')))!) as { dailyTrades: unknown };
    const { rows } = await pipeline.pool.query<{ count: number }>(`select count(*)::int as count from fills where namespace = 'paper'`);
    return {
      fills: unique
        .map(({ data }) => [data.strategyId, data.side, data.quantity, data.price, data.charges.total, data.cumulativeQuantity])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      uniqueFillIds: unique.length,
      fillRows: rows[0]!.count,
      portfolios: [...books.values()]
        .map(currentView)
        // Fill sequences are offsets: a replay's duplicate fills shift them, and nothing else.
        .map(({ asOf: _asOf, positions, ...figures }) => ({
          ...figures,
          positions: positions.map(({ fillSequence: _sequence, ...position }) => position),
        }))
        .sort((a, b) => a.strategyId.localeCompare(b.strategyId)),
      dailyTrades: risk.dailyTrades,
    };
  } finally {
    redis.disconnect();
  }
}

describe('paper pipeline killed with SIGKILL mid-stream', () => {
  const pipelines: PipelineHarness[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const pipeline of pipelines) await pipeline.close();
  });

  const harness = async () => {
    const pipeline = await createPipelineHarness({ strategies: STRATEGIES, env: { PORTFOLIO__SNAPSHOT_INTERVAL_MS: '1' } });
    pipelines.push(pipeline);
    return pipeline;
  };

  const startChild = (pipeline: PipelineHarness, extraEnv: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/pipeline-process.ts', import.meta.url).pathname], {
      env: { ...process.env, ...pipeline.env, LOG_LEVEL: 'error', ...extraEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };

  it('ends with the same portfolio, fills and trade counts as an uninterrupted run', { timeout: 300_000 }, async () => {
    const uninterrupted = await harness();
    await uninterrupted.startServices();
    for (let i = 0; i < TICKS; i += 1) {
      await uninterrupted.sendTicks([makeTick(priceAt(i))]);
      await uninterrupted.waitForQuiet();
    }
    await uninterrupted.stopServices();
    const expected = await outcomeOf(uninterrupted);
    expect(expected.uniqueFillIds).toBeGreaterThanOrEqual(4); // the scenario really trades

    const crashed = await harness();
    const exitOf = (process: ChildProcess) => new Promise<void>((resolve) => process.once('exit', () => resolve()));
    let child = startChild(crashed, { CRASH_AFTER_FILL_BATCHES: String(CRASH_AFTER_FILL_BATCHES) });
    let exited = exitOf(child);
    let crashes = 0;
    for (let i = 0; i < TICKS; i += 1) {
      await crashed.sendTicks([makeTick(priceAt(i))]);
      // Either the stages catch up, or the process kills itself while handling this tick.
      if (child.exitCode === null && child.signalCode === null) await Promise.race([crashed.waitForQuiet(120_000), exited]);
      if (child.signalCode === 'SIGKILL') {
        crashes += 1;
        child = startChild(crashed);
        exited = exitOf(child);
        await crashed.waitForQuiet(120_000);
      }
    }
    expect(crashes).toBe(1);
    child.kill('SIGTERM');
    await exited;
    // The replay after the crash produced the fills of that batch a second time, with the same ids.
    const fillEvents = crashed.read(crashed.topics.ordersFilled);
    expect(fillEvents.length).toBeGreaterThan(new Set(fillEvents.map((event) => event.id)).size);

    const actual = await outcomeOf(crashed);
    expect(actual.fills).toEqual(expected.fills);
    expect(actual.portfolios).toEqual(expected.portfolios);
    expect(actual.dailyTrades).toEqual(expected.dailyTrades);
    // Nothing twice: one row per distinct fill, however often a replay re-emitted it.
    expect(actual.fillRows).toBe(actual.uniqueFillIds);
    expect(expected.fillRows).toBe(expected.uniqueFillIds);
  });
});
