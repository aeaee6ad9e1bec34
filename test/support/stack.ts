// Per-test-file isolation on the shared local stack: a throwaway Postgres database, a Redis
// database index, and configuration pointing at them (and at a fresh Temporal namespace).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { offsetToIstTime } from '../../core/clock';
import { parseConfig, readEnvironment, type Config } from '../../core/config/load';

/**
 * Event times at 10:00 IST today (CLOCK__OFFSET_MS) for a paper pipeline under test, so that it
 * trades at any hour: on the wall clock the paper engine refuses MIS orders after 15:20 IST. Not
 * with Zerodha enabled, which the config refuses (live orders carry the real time).
 */
const SESSION_OFFSET_MS = String(offsetToIstTime('10:00'));

export function inSession(env: Record<string, string>): Record<string, string> {
  if (env.CLOCK__OFFSET_MS !== undefined || testConfig(env).zerodha.enabled) return env;
  return { ...env, CLOCK__OFFSET_MS: SESSION_OFFSET_MS };
}

/** The configuration the stack was started with (environment and .env), plus overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({ ...readEnvironment(), LOG_LEVEL: 'warn', ...overrides });
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database next to the configured one; `drop()` removes it. */
export async function createTestDatabase(baseUrl = testConfig().database.postgresUrl): Promise<TestDatabase> {
  const name = `alpha_panda_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => dropDatabase(baseUrl, name),
  };
}

/**
 * A Redis database index of its own (1-15), emptied before and after use. Claimed with a lock key
 * in database 0 so that test processes running at the same time never share one.
 */
export async function claimRedisDatabase(baseUrl = testConfig().redis.url): Promise<{ url: string; release(): Promise<void> }> {
  const locks = new Redis(baseUrl);
  const owner = randomUUID();
  let index = 0;
  for (let candidate = 1; candidate <= 15 && index === 0; candidate += 1) {
    const claimed = await locks.set(`alpha-panda-test:redis-db:${candidate}`, owner, 'EX', 1800, 'NX');
    if (claimed === 'OK') index = candidate;
  }
  if (index === 0) throw new Error('every Redis test database (1-15) is claimed; wait for other test runs to finish');
  const url = new URL(baseUrl);
  url.pathname = `/${index}`;
  const redis = new Redis(url.toString());
  await redis.flushdb();
  return {
    url: url.toString(),
    async release() {
      await redis.flushdb();
      redis.disconnect();
      const lock = `alpha-panda-test:redis-db:${index}`;
      if ((await locks.get(lock)) === owner) await locks.del(lock);
      locks.disconnect();
    },
  };
}

/**
 * Drops a test database once its last connection has gone. Not `with (force)`: terminating a
 * backend whose client is still closing hands that client a FATAL error nobody listens to any
 * more, which surfaces as an unhandled error in whatever test runs next.
 */
export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`drop database if exists ${name}`);
        return;
      } catch (error) {
        // 55006: the database is still in use (connections closing); the last tries force it.
        if ((error as { code?: string }).code !== '55006') throw error;
        if (attempt >= 50) {
          await client.query(`drop database if exists ${name} with (force)`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await client.end();
  }
}
