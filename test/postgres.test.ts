// Migrations, seed and the pool against the real Postgres, each run in a throwaway database.
import { readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrateDatabase } from '../core/postgres/migrate';
import { createPool, withTransaction, type Pool } from '../core/postgres/pool';
import { seedDatabase } from '../core/postgres/seed';
import { SEED_INSTRUMENTS, SEED_STRATEGIES } from '../core/postgres/seed-data';
import { createTestDatabase, testConfig, type TestDatabase } from './support/stack';

/** The configured database: the timeouts are per session, any database shows them. */
const configuredDatabaseUrl = () => testConfig().database.postgresUrl;

const migrationNames = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.js'))
  .sort()
  .map((file) => file.replace(/\.js$/, ''));

/** Columns, constraints and indexes of the public schema: what "schema unchanged" means. */
async function schemaOf(pool: Pool) {
  const columns = await pool.query(
    `select table_name, column_name, data_type, is_nullable, column_default
       from information_schema.columns where table_schema = 'public' order by table_name, column_name`,
  );
  const constraints = await pool.query(
    `select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as definition
       from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`,
  );
  const indexes = await pool.query(`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`);
  return { columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows };
}

const tableRows = async (pool: Pool, table: string, orderBy: string) =>
  (await pool.query(`select * from ${table} order by ${orderBy}`)).rows;

describe('migrations', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool({ database: { postgresUrl: db.url } }, { max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('apply every migration to an empty database, then have nothing left to do', async () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(await migrateDatabase(db.url)).toEqual(migrationNames);

    const schema = await schemaOf(pool);
    const tables = new Set(schema.columns.map((c) => c.table_name));
    for (const table of ['strategy_configurations', 'trading_sessions', 'instruments', 'orders', 'fills', 'portfolio_snapshots', 'pgmigrations']) {
      expect(tables.has(table), table).toBe(true);
    }
    const applied = await pool.query('select name from pgmigrations order by run_on, id');
    expect(applied.rows.map((r) => r.name)).toEqual(migrationNames);

    expect(await migrateDatabase(db.url)).toEqual([]);
    expect(await schemaOf(pool)).toEqual(schema);
  });

  it('store amounts as BIGINT paise and timestamps with their zone', async () => {
    const { rows } = await pool.query(
      `select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public' and (column_name like '%paise' or column_name like '%_at' or column_name = 'as_of')`,
    );
    const byName = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]));
    expect(byName.get('orders.limit_price_paise')).toBe('bigint');
    expect(byName.get('fills.charges_paise')).toBe('bigint');
    expect(byName.get('portfolio_snapshots.cash_paise')).toBe('bigint');
    expect(byName.get('instruments.tick_size_paise')).toBe('integer');
    for (const [column, type] of byName) {
      if (!column.endsWith('paise')) expect(type, column).toBe('timestamp with time zone');
    }
  });

  it('refuse rows outside the two namespaces and a fill recorded twice', async () => {
    const order = (namespace: string) =>
      pool.query(
        `insert into orders (namespace, order_id, strategy_id, instrument_token, tradingsymbol, side, product, order_type,
                             quantity, status, correlation_id, submitted_at)
         values ($1, $2, 's', 738561, 'RELIANCE', 'BUY', 'MIS', 'MARKET', 1, 'SUBMITTED', $3, now())`,
        [namespace, randomUUID(), randomUUID()],
      );
    await expect(order('live')).rejects.toThrow(/orders_namespace_check/);
    await order('paper');

    const eventId = randomUUID();
    const fill = (fillId: string) =>
      pool.query(
        `insert into fills (namespace, fill_id, order_id, strategy_id, instrument_token, side, quantity, price_paise,
                            charges_paise, charges, event_id, filled_at)
         values ('paper', $1, 'o1', 's', 738561, 'BUY', 1, 250000, 20, '{}', $2, now())`,
        [fillId, eventId],
      );
    await fill('f1');
    await expect(fill('f2')).rejects.toThrow(/fills_namespace_event_id/);
  });

  it('return BIGINT amounts as exact numbers', async () => {
    const { rows } = await pool.query<{ amount: number }>(`select 9007199254740991::bigint as amount`);
    expect(rows[0]!.amount).toBe(Number.MAX_SAFE_INTEGER);
    await expect(pool.query(`select 9007199254740993::bigint as amount`)).rejects.toThrow(/exactly representable/);
  });

  it('roll a transaction back when its work throws', async () => {
    const id = `tx_${randomUUID()}`;
    await expect(
      withTransaction(pool, async (client) => {
        await client.query(`insert into instruments (instrument_token, exchange_token, tradingsymbol, exchange, segment,
                              instrument_type, tick_size_paise, lot_size) values (1, 1, $1, 'NSE', 'NSE', 'EQ', 5, 1)`, [id]);
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    const { rows } = await pool.query('select count(*) as n from instruments where tradingsymbol = $1', [id]);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('query timeouts', () => {
  it('bound every statement: 10 s by default, and a slow one fails instead of hanging', async () => {
    const base = createPool({ database: { postgresUrl: configuredDatabaseUrl() } }, { max: 1 });
    const short = createPool({ database: { postgresUrl: configuredDatabaseUrl() } }, { max: 1, statementTimeoutMs: 200 });
    try {
      expect((await base.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]?.statement_timeout).toBe('10s');
      const started = Date.now();
      await expect(short.query('select pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await Promise.all([base.end(), short.end()]);
    }
  });
});

describe('concurrent migration', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('applies each migration once when two processes migrate at the same time', async () => {
    const [first, second] = await Promise.all([migrateDatabase(db.url), migrateDatabase(db.url)]);
    expect([...first!, ...second!].sort()).toEqual(migrationNames);
  });
});

describe('seed', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateDatabase(db.url);
    pool = createPool({ database: { postgresUrl: db.url } }, { max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('loads the sample data, and a second run leaves every row as it was', async () => {
    const first = await seedDatabase(pool);
    expect(first).toEqual({
      instruments: { inserted: SEED_INSTRUMENTS.length, updated: 0, unchanged: 0 },
      strategies: { inserted: SEED_STRATEGIES.length * 2, existing: 0 },
    });
    const instruments = await tableRows(pool, 'instruments', 'instrument_token');
    const strategies = await tableRows(pool, 'strategy_configurations', 'namespace, id');
    expect(instruments).toHaveLength(SEED_INSTRUMENTS.length);
    expect(strategies.map((s) => `${s.namespace}/${s.id}`)).toContain('zerodha/momentum_reliance');
    expect(strategies.find((s) => s.namespace === 'paper' && s.id === 'mean_reversion_infy')?.parameters).toEqual({
      rsiPeriod: 14,
      bandPeriod: 20,
      bandStdDev: 2,
      oversold: 30,
      overbought: 70,
      quantity: 1,
    });

    const second = await seedDatabase(pool);
    expect(second).toEqual({
      instruments: { inserted: 0, updated: 0, unchanged: SEED_INSTRUMENTS.length },
      strategies: { inserted: 0, existing: SEED_STRATEGIES.length * 2 },
    });
    expect(await tableRows(pool, 'instruments', 'instrument_token')).toEqual(instruments);
    expect(await tableRows(pool, 'strategy_configurations', 'namespace, id')).toEqual(strategies);
  });

  it('keeps a trader’s changes and the last price the feed recorded', async () => {
    await seedDatabase(pool);
    await pool.query(
      `update strategy_configurations set is_active = false, parameters = '{"quantity": 3}'
        where namespace = 'paper' and id = 'rsi_tcs'`,
    );
    await pool.query(`update instruments set last_price_paise = 151205 where tradingsymbol = 'RELIANCE'`);
    await pool.query(`update instruments set name = 'renamed' where tradingsymbol = 'INFY'`);

    const result = await seedDatabase(pool);
    expect(result.instruments).toEqual({ inserted: 0, updated: 1, unchanged: SEED_INSTRUMENTS.length - 1 });

    const rsi = await pool.query(`select is_active, parameters from strategy_configurations where namespace = 'paper' and id = 'rsi_tcs'`);
    expect(rsi.rows[0]).toEqual({ is_active: false, parameters: { quantity: 3 } });
    const prices = await pool.query(
      `select tradingsymbol, name, last_price_paise from instruments where tradingsymbol in ('RELIANCE', 'INFY') order by 1`,
    );
    expect(prices.rows).toEqual([
      { tradingsymbol: 'INFY', name: 'INFOSYS', last_price_paise: 150_000 },
      { tradingsymbol: 'RELIANCE', name: 'RELIANCE INDUSTRIES', last_price_paise: 151_205 },
    ]);
  });
});
