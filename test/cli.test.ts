// The operator commands as a user runs them: `node bin/alpha-panda.mjs strategies|orders|fills|
// portfolio` against a throwaway Postgres database and Redis database index, checked against the
// rows this test wrote.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortfolio } from '../core/domain/trading/portfolio';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool, type Pool } from '../core/postgres/pool';
import { seedDatabase } from '../core/postgres/seed';
import { persistBooks } from '../services/portfolio-manager/store';
import { Redis } from 'ioredis';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './support/stack';

const CLI = new URL('../bin/alpha-panda.mjs', import.meta.url).pathname;
const RELIANCE = 738561;
const TCS = 2953217;

let database: TestDatabase;
let redisDb: Awaited<ReturnType<typeof claimRedisDatabase>>;
let pool: Pool;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function json(...args: string[]) {
  const run = await cli(...args, '--json');
  expect(run.stderr, run.stderr).not.toMatch(/Error|error:/);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

const storedParameters = async (namespace: string, id: string) =>
  (await pool.query('select parameters, is_active from strategy_configurations where namespace = $1 and id = $2', [namespace, id])).rows[0];

const ORDER = `
  insert into orders (namespace, order_id, strategy_id, instrument_token, tradingsymbol, side, product, order_type,
                      quantity, limit_price_paise, status, filled_quantity, average_price_paise, correlation_id,
                      failure_reason, submitted_at)
  values ($1, $2, $3, $4, $5, $6, 'MIS', $7, $8, $9, $10, $11, $12, gen_random_uuid(), $13, $14)`;
const FILL = `
  insert into fills (namespace, fill_id, order_id, strategy_id, instrument_token, side, quantity, price_paise,
                     charges_paise, charges, event_id, filled_at)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, gen_random_uuid(), $11)`;

beforeAll(async () => {
  database = await createTestDatabase();
  redisDb = await claimRedisDatabase();
  await migrateDatabase(database.url);
  pool = createPool(testConfig({ DATABASE__POSTGRES_URL: database.url }), { max: 2 });
  await seedDatabase(pool);
  env = { ...process.env, DATABASE__POSTGRES_URL: database.url, REDIS__URL: redisDb.url, BROKER_NAMESPACE: 'paper', LOG_LEVEL: 'warn' };

  // Orders: one complete buy at 09:15:01 IST, one rejected sell later, one of another strategy.
  await pool.query(ORDER, ['paper', 'o-1', 'momentum_reliance', RELIANCE, 'RELIANCE', 'BUY', 'LIMIT', 2, 150_005, 'COMPLETE', 2, 150_005, null, '2026-12-01T03:45:01Z']);
  await pool.query(ORDER, ['paper', 'o-2', 'momentum_reliance', RELIANCE, 'RELIANCE', 'SELL', 'MARKET', 2, null, 'REJECTED', 0, null, 'insufficient funds', '2026-12-01T05:00:00Z']);
  await pool.query(ORDER, ['paper', 'o-3', 'rsi_tcs', TCS, 'TCS', 'BUY', 'MARKET', 1, null, 'OPEN', 0, null, null, '2026-11-28T04:00:00Z']);
  await pool.query(ORDER, ['zerodha', 'z-1', 'rsi_tcs', TCS, 'TCS', 'BUY', 'MARKET', 1, null, 'OPEN', 0, null, null, '2026-12-01T04:00:00Z']);
  await pool.query(FILL, ['paper', 'f-1', 'o-1', 'momentum_reliance', RELIANCE, 'BUY', 1, 150_005, 1_234, JSON.stringify({ total: 1_234 }), '2026-12-01T03:45:02Z']);
  await pool.query(FILL, ['paper', 'f-2', 'o-1', 'momentum_reliance', RELIANCE, 'BUY', 1, 150_005, 1_233, JSON.stringify({ total: 1_233 }), '2026-12-01T03:45:03Z']);

  // A committed book: 2 RELIANCE bought for 3000.10 in all, last price 1501.00.
  const portfolio = createPortfolio(100_000_000);
  portfolio.cash = 100_000_000 - 300_010 - 2_467;
  portfolio.chargesPaid = 2_467;
  portfolio.positions[String(RELIANCE)] = { instrumentToken: RELIANCE, quantity: 2, costBasis: 300_010, realizedPnl: 0 };
  portfolio.lastPrices[String(RELIANCE)] = 150_100;
  const redis = new Redis(redisDb.url);
  const multi = redis.multi();
  persistBooks(multi, 'paper', [
    {
      strategyId: 'momentum_reliance',
      portfolio,
      updatedAt: '2026-12-01T03:50:00.000Z',
      lastSnapshotAt: '2026-12-01T03:45:02.000Z',
      lastSnapshotEventId: null,
      changedSinceSnapshot: true,
    },
    {
      strategyId: 'rsi_tcs',
      portfolio: createPortfolio(50_000_000),
      updatedAt: '2026-12-01T03:50:00.000Z',
      lastSnapshotAt: '2026-12-01T03:50:00.000Z',
      lastSnapshotEventId: null,
      changedSinceSnapshot: false,
    },
  ]);
  await multi.exec();
  redis.disconnect();
});

afterAll(async () => {
  await pool?.end();
  await redisDb?.release();
  await database?.drop();
});

describe('alpha-panda strategies', () => {
  it('lists the namespace of BROKER_NAMESPACE, or the one asked for', async () => {
    const paper = await json('strategies', 'list');
    expect(paper.namespace).toBe('paper');
    expect(paper.strategies.map((s: { id: string }) => s.id)).toEqual(['low_frequency_demo', 'mean_reversion_infy', 'momentum_reliance', 'rsi_tcs']);
    expect(paper.strategies.find((s: { id: string }) => s.id === 'momentum_reliance')).toMatchObject({
      strategyType: 'momentum',
      instruments: [RELIANCE],
      parameters: { lookbackTicks: 20, thresholdBps: 15, quantity: 1 },
      isActive: true,
    });
    const zerodha = await json('strategies', 'list', '--namespace', 'zerodha');
    expect(zerodha.strategies.every((s: { namespace: string; isActive: boolean }) => s.namespace === 'zerodha' && !s.isActive)).toBe(true);
    const table = await cli('strategies', 'list');
    expect(table.stdout).toMatch(/momentum_reliance\s+momentum\s+yes\s+RELIANCE/);
  });

  it('deactivates and activates, in the database', async () => {
    expect((await cli('strategies', 'deactivate', 'momentum_reliance')).code).toBe(0);
    expect((await storedParameters('paper', 'momentum_reliance')).is_active).toBe(false);
    expect((await json('strategies', 'show', 'momentum_reliance')).isActive).toBe(false);
    const activated = await cli('strategies', 'activate', 'momentum_reliance');
    expect(activated.code).toBe(0);
    expect(activated.stdout).toContain('Activated momentum_reliance');
    expect(activated.stderr).not.toContain('real money');
    expect((await storedParameters('paper', 'momentum_reliance')).is_active).toBe(true);
  });

  it('warns, without asking, that a zerodha strategy trades real money', async () => {
    const run = await cli('strategies', 'activate', 'rsi_tcs', '-n', 'zerodha');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/WARNING: rsi_tcs is a zerodha strategy.*real money/);
    expect((await storedParameters('zerodha', 'rsi_tcs')).is_active).toBe(true);
    expect((await storedParameters('paper', 'rsi_tcs')).is_active).toBe(true);
  });

  it('sets valid parameters and refuses invalid ones naming the field, saving nothing', async () => {
    const saved = await json('strategies', 'set', 'momentum_reliance', 'lookbackTicks=30', 'product=CNC');
    expect(saved.parameters).toEqual({ lookbackTicks: 30, thresholdBps: 15, quantity: 1, product: 'CNC' });
    expect((await storedParameters('paper', 'momentum_reliance')).parameters).toEqual(saved.parameters);

    const tooSmall = await cli('strategies', 'set', 'momentum_reliance', 'lookbackTicks=0', 'thresholdBps=20');
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.stderr).toContain('parameters.lookbackTicks');
    const unknown = await cli('strategies', 'set', 'momentum_reliance', 'lookbakTicks=5');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('lookbakTicks');
    expect((await storedParameters('paper', 'momentum_reliance')).parameters).toEqual(saved.parameters);

    const restored = await json('strategies', 'set', 'momentum_reliance', 'product=');
    expect(restored.parameters).toEqual({ lookbackTicks: 30, thresholdBps: 15, quantity: 1 });
    expect((await json('strategies', 'show', 'momentum_reliance')).effectiveParameters).toMatchObject({ product: 'MIS', lookbackTicks: 30 });
  });

  it('says so for a strategy that does not exist', async () => {
    const run = await cli('strategies', 'activate', 'no_such_strategy');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no strategy "no_such_strategy"');
  });
});

describe('alpha-panda orders and fills', () => {
  it('lists orders newest first with their filters, in paise and IST', async () => {
    const all = await json('orders');
    expect(all.orders.map((o: { orderId: string }) => o.orderId)).toEqual(['o-2', 'o-1', 'o-3']);
    expect(all.orders[1]).toMatchObject({
      strategyId: 'momentum_reliance',
      tradingsymbol: 'RELIANCE',
      limitPricePaise: 150_005,
      averagePricePaise: 150_005,
      status: 'COMPLETE',
      submittedAt: '2026-12-01T09:15:01.000+05:30',
    });
    expect((await json('orders', '--status', 'REJECTED')).orders).toEqual([expect.objectContaining({ orderId: 'o-2', failureReason: 'insufficient funds' })]);
    expect((await json('orders', '--strategy', 'rsi_tcs')).orders.map((o: { orderId: string }) => o.orderId)).toEqual(['o-3']);
    expect((await json('orders', '--since', '2026-12-01T09:15')).orders.map((o: { orderId: string }) => o.orderId)).toEqual(['o-2', 'o-1']);
    expect((await json('orders', '--limit', '1')).orders.map((o: { orderId: string }) => o.orderId)).toEqual(['o-2']);
    expect((await json('orders', '-n', 'zerodha')).orders.map((o: { orderId: string }) => o.orderId)).toEqual(['z-1']);

    const table = await cli('orders', '--strategy', 'momentum_reliance');
    expect(table.stdout).toMatch(/2026-12-01 09:15:01\s+o-1\s+momentum_reliance\s+RELIANCE\s+BUY\s+MIS\s+LIMIT\s+2\s+2\s+1500\.05\s+1500\.05\s+COMPLETE/);
  });

  it('lists fills with their charges', async () => {
    const { fills } = await json('fills', '--strategy', 'momentum_reliance');
    expect(fills).toEqual([
      expect.objectContaining({ fillId: 'f-2', orderId: 'o-1', tradingsymbol: 'RELIANCE', quantity: 1, pricePaise: 150_005, chargesPaise: 1_233, filledAt: '2026-12-01T09:15:03.000+05:30' }),
      expect.objectContaining({ fillId: 'f-1', chargesPaise: 1_234 }),
    ]);
    expect((await json('fills', '--since', '2026-12-01T09:15:03+05:30')).fills).toHaveLength(1);
    const table = await cli('fills');
    expect(table.stdout).toMatch(/2026-12-01 09:15:02\s+f-1\s+o-1\s+momentum_reliance\s+RELIANCE\s+BUY\s+1\s+1500\.05\s+1500\.05\s+12\.34/);
  });

  it('refuses a bad filter before connecting', async () => {
    const run = await cli('orders', '--status', 'FILLED');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("'--status <status>' argument 'FILLED' is invalid");
  });
});

describe('alpha-panda portfolio', () => {
  it('shows what the portfolio manager committed, with symbols', async () => {
    const { namespace, strategies } = await json('portfolio');
    expect(namespace).toBe('paper');
    expect(strategies.map((s: { strategyId: string }) => s.strategyId)).toEqual(['momentum_reliance', 'rsi_tcs']);
    expect(strategies[0]).toMatchObject({
      cash: 100_000_000 - 300_010 - 2_467,
      realizedPnl: 0,
      unrealizedPnl: 2 * 150_100 - 300_010,
      chargesPaid: 2_467,
      netPnl: 2 * 150_100 - 300_010 - 2_467,
      asOf: '2026-12-01T09:20:00.000+05:30',
      positions: [expect.objectContaining({ instrumentToken: RELIANCE, tradingsymbol: 'RELIANCE', quantity: 2, averagePrice: 150_005, lastPrice: 150_100 })],
    });
    const one = await json('portfolio', '--strategy', 'rsi_tcs');
    expect(one.strategies).toEqual([expect.objectContaining({ strategyId: 'rsi_tcs', cash: 50_000_000, positions: [] })]);

    const table = await cli('portfolio');
    expect(table.stdout).toMatch(/momentum_reliance\s+996975\.23\s+0\.00\s+1\.90\s+24\.67\s+-22\.77\s+1/);
    expect(table.stdout).toMatch(/momentum_reliance\s+RELIANCE\s+2\s+1500\.05\s+1501\.00/);
  });

  it('says so for a strategy without a portfolio', async () => {
    const run = await cli('portfolio', '--strategy', 'nobody');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('"nobody" has no portfolio');
  });
});
