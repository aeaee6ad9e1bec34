// The Postgres connection pool and a transaction helper. BIGINT columns (amounts in paise,
// counts, bigserial ids) come back as JavaScript numbers, checked to be exact: a value outside
// the safe-integer range is an error rather than a silently rounded amount.
import pg from 'pg';
import { getLogger } from '../logging';
import { postgresConnectionConfig, type PostgresSettings } from './ssl';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs queries: the pool itself or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const INT8_OID = 20;

export class UnsafeIntegerError extends Error {
  override name = 'UnsafeIntegerError';
}

/** Parses a BIGINT as a number, refusing values a double cannot hold exactly. */
export function parseBigint(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new UnsafeIntegerError(`BIGINT ${text} is outside the exactly representable range`);
  }
  return value;
}

const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseBigint : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PoolOptions {
  /** Most connections held at once. */
  max?: number;
  /** Shown in pg_stat_activity, so an operator can tell the services apart. */
  applicationName?: string;
}

export function createPool(config: PostgresSettings, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    ...postgresConnectionConfig(config),
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'alpha-panda',
    types: typeParsers,
  });
  // An idle client losing its connection emits on the pool; without a listener that would end
  // the process. The next query reconnects.
  pool.on('error', (error) => getLogger('error').warn({ err: error }, 'idle Postgres connection failed'));
  return pool;
}

/**
 * Runs `work` inside one transaction: committed when it resolves, rolled back when it throws
 * (the error is rethrown). The client is released either way.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is in an unknown state; destroy it rather than return it to the pool.
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
