// The Zerodha side of a test on the shared local stack: the fake Kite server (real HTTP API and
// ticker protocol), a configuration pointing the real kiteconnect client at it, a throwaway
// Postgres database with the migrations, an encryption key for the stored session, and a login
// that stores the session the way `alpha-panda auth` does. Or the same fake beside a whole test
// app (workflows, workers) with Zerodha enabled, waiting in startup for that login.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { readStatus } from '../../api/operations';
import { authenticateWithRequestToken, type AuthDeps, type AuthenticationResult } from '../../core/broker/auth';
import type { Config } from '../../core/config/load';
import { createEvent, type Envelope, type SignalValidated } from '../../core/domain/events';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { marketTicksTopic, namespaceTopics, strategyInstrumentKey, topicSpecs, type NamespaceTopics } from '../../core/domain/topics';
import { BROKER_RETRY, createKafka } from '../../core/kafka/client';
import { createEventProducer, type EventProducer } from '../../core/kafka/producer';
import { bootstrapTopics } from '../../core/kafka/topics';
import { migrateDatabase } from '../../core/postgres/migrate';
import { createPool } from '../../core/postgres/pool';
import { startFakeKite, type FakeKite, type FakeKiteOptions } from '../../scripts/fake-kite/server';
import type { StartupPhase, StartupStatus } from '../../workflows/definitions';
import { createTestApp, type TestApp } from './app';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './stack';
import { waitFor } from './temporal';
import { releasePrefix } from './topics';

/**
 * What points the app at the fake: its API, login page and ticker, with the fake's credentials,
 * and a fresh key to encrypt the stored session with.
 */
export function fakeKiteEnvironment(fake: FakeKite, apiKey: string, apiSecret: string): Record<string, string> {
  return {
    ZERODHA__ENABLED: 'true',
    ZERODHA__API_KEY: apiKey,
    ZERODHA__API_SECRET: apiSecret,
    ZERODHA__API_ROOT: fake.url,
    ZERODHA__LOGIN_ROOT: fake.loginUrl,
    ZERODHA__TICKER_ROOT: fake.tickerUrl,
    SECURITY__ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  };
}

/**
 * Logs in at the fake with a request_token it issued, as `alpha-panda auth` does, storing the
 * session; throws if the login fails, so a test never goes on without one.
 */
export async function loginAtFakeKite(deps: AuthDeps, fake: FakeKite): Promise<Extract<AuthenticationResult, { ok: true }>> {
  const result = await authenticateWithRequestToken(deps, fake.issueRequestToken());
  if (!result.ok) throw new Error(`the login at the fake Kite failed: ${result.reason}`);
  return result;
}

export interface KiteTestStack {
  fake: FakeKite;
  config: Config;
  pool: pg.Pool;
  /** Environment that points a child process at the same fake, database and Redis. */
  env: Record<string, string>;
  /** The claimed Redis database, when asked for. */
  redisUrl?: string;
  /** Logs in at the fake and stores the session; throws if the login fails. */
  login(): Promise<void>;
  close(): Promise<void>;
}

/** The fake's credentials and options, and configuration besides, as both setups here take them. */
export interface FakeKiteSetup {
  apiKey: string;
  apiSecret: string;
  /** Extra options of the fake (user, redirect URL, ticker interval...). */
  fake?: Omit<FakeKiteOptions, 'apiKey' | 'apiSecret' | 'port'>;
  /** Extra configuration (API token and port, topic prefix, refresh intervals...). */
  env?: Record<string, string>;
}

/** The fake of a setup, on a free port. */
function startFakeFor({ apiKey, apiSecret, fake }: FakeKiteSetup): Promise<FakeKite> {
  return startFakeKite({ ...fake, port: 0, apiKey, apiSecret });
}

export interface KiteTestStackOptions extends FakeKiteSetup {
  /** Claim a Redis database of its own (REDIS__URL). */
  redis?: boolean;
}

export async function startKiteTestStack(options: KiteTestStackOptions): Promise<KiteTestStack> {
  const { apiKey, apiSecret } = options;
  const database: TestDatabase = await createTestDatabase();
  const redis = options.redis ? await claimRedisDatabase() : undefined;
  const fake = await startFakeFor(options);
  const env: Record<string, string> = {
    ...fakeKiteEnvironment(fake, apiKey, apiSecret),
    DATABASE__POSTGRES_URL: database.url,
    ...(redis ? { REDIS__URL: redis.url } : {}),
    ...options.env,
  };
  const config = testConfig(env);
  await migrateDatabase(config.database.postgresUrl);
  const pool = createPool(config);
  return {
    fake,
    config,
    pool,
    env,
    ...(redis ? { redisUrl: redis.url } : {}),
    async login() {
      await loginAtFakeKite({ config, pool, now: () => new Date() }, fake);
    },
    async close() {
      await fake.close();
      await pool.end();
      await redis?.release();
      await database.drop();
    },
  };
}

/** A test app (./app) with Zerodha enabled against a fake Kite of its own; `close` stops both. */
export interface ZerodhaTestApp extends TestApp {
  fake: FakeKite;
}

export interface ZerodhaTestAppOptions extends FakeKiteSetup {
  /** Switch on one zerodha strategy, so that the namespace has something to run. */
  activateStrategy?: boolean;
}

/** Seeded; no worker started yet (a test may start one with overrides of its own). */
export async function createZerodhaTestApp(options: ZerodhaTestAppOptions): Promise<ZerodhaTestApp> {
  const { apiKey, apiSecret } = options;
  const fake = await startFakeFor(options);
  let app: TestApp | undefined;
  try {
    app = await createTestApp({ ...fakeKiteEnvironment(fake, apiKey, apiSecret), ...options.env });
    await app.seed();
    if (options.activateStrategy) await activateOneZerodhaStrategy(app.config.database.postgresUrl);
  } catch (error) {
    // The caller gets nothing to close: nothing made here may outlive the failure.
    await app?.close();
    await fake.close();
    throw error;
  }
  const testApp = app;
  return {
    ...testApp,
    fake,
    async close() {
      await testApp.close();
      await fake.close();
    },
  };
}

/** The seed leaves real-money strategies switched off; a trader switches one on, as here. */
async function activateOneZerodhaStrategy(postgresUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: postgresUrl });
  await db.connect();
  try {
    const { rowCount } = await db.query(
      `update strategy_configurations set is_active = true
        where namespace = 'zerodha' and id = (select min(id) from strategy_configurations where namespace = 'zerodha')`,
    );
    if (rowCount !== 1) throw new Error(`expected one zerodha strategy switched on, not ${rowCount}`);
  } finally {
    await db.end();
  }
}

/** Waits until the namespace's startup reaches `phase`; throws at once if it failed instead. */
export async function waitForPhase(client: Client, namespace: BrokerNamespace, phase: StartupPhase): Promise<StartupStatus> {
  return waitFor(async () => {
    const status = await readStatus(client, namespace);
    if (status.phase === 'failed') throw new Error(`startup of ${namespace} failed: ${status.failure}`);
    return status.phase === phase && status;
  }, `${namespace} in phase ${phase}`);
}

/** The zerodha namespace's topics under a test prefix, with a producer and a reader of every one. */
export interface ZerodhaTopics {
  kafka: Kafka;
  prefix: string;
  topics: NamespaceTopics;
  ticksTopic: string;
  producer: EventProducer;
  /** Every event read so far from one of the namespace's topics. */
  events(topic: string): Envelope[];
  /** Publishes a validated signal as the risk manager does; returns its envelope. */
  sendValidated(validated: SignalValidated): Promise<Envelope<'signal_validated'>>;
  close(): Promise<void>;
}

export async function openZerodhaTopics(config: Config, prefix: string): Promise<ZerodhaTopics> {
  const kafka = createKafka(config);
  await bootstrapTopics(kafka, topicSpecs(['zerodha'], prefix));
  const topics = namespaceTopics('zerodha', prefix);
  const producer = createEventProducer(kafka);
  await producer.connect();
  const seen = new Map<string, Envelope[]>();
  const reader = kafka.consumer({ groupId: `${prefix}reader`, maxWaitTimeInMs: 100, retry: BROKER_RETRY });
  await reader.connect();
  for (const topic of Object.values(topics)) await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => void seen.set(topic, [...(seen.get(topic) ?? []), JSON.parse(message.value!.toString()) as Envelope]),
  });
  return {
    kafka,
    prefix,
    topics,
    ticksTopic: marketTicksTopic(prefix),
    producer,
    events: (topic) => [...(seen.get(topic) ?? [])],
    async sendValidated(validated) {
      const envelope = createEvent({ type: 'signal_validated', source: 'risk-manager', namespace: 'zerodha', data: validated });
      const key = strategyInstrumentKey(validated.signal.strategyId, validated.signal.instrumentToken);
      await producer.sendBatch([{ topic: topics.signalsValidated, key, envelope }]);
      return envelope;
    },
    async close() {
      await reader.disconnect();
      await producer.disconnect();
      await releasePrefix(kafka, prefix);
    },
  };
}
