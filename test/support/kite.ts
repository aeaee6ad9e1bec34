// The Zerodha side of a test on the shared local stack: the fake Kite server (real HTTP API and
// ticker protocol), a configuration pointing the real kiteconnect client at it, a throwaway
// Postgres database with the migrations, an encryption key for the stored session, and a login
// that stores the session the way `alpha-panda auth` does.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { authenticateWithRequestToken } from '../../core/broker/auth';
import type { Config } from '../../core/config/load';
import { createEvent, type Envelope, type SignalValidated } from '../../core/domain/events';
import { marketTicksTopic, namespaceTopics, strategyInstrumentKey, topicSpecs, type NamespaceTopics } from '../../core/domain/topics';
import { BROKER_RETRY, createKafka } from '../../core/kafka/client';
import { createEventProducer, type EventProducer } from '../../core/kafka/producer';
import { bootstrapTopics } from '../../core/kafka/topics';
import { migrateDatabase } from '../../core/postgres/migrate';
import { createPool } from '../../core/postgres/pool';
import { startFakeKite, type FakeKite, type FakeKiteOptions } from '../../scripts/fake-kite/server';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './stack';
import { releasePrefix } from './topics';

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

export interface KiteTestStackOptions {
  apiKey: string;
  apiSecret: string;
  /** Extra options of the fake (ticker interval...). */
  fake?: Omit<FakeKiteOptions, 'apiKey' | 'apiSecret' | 'port'>;
  /** Extra configuration (prefix, refresh intervals...). */
  env?: Record<string, string>;
  /** Claim a Redis database of its own (REDIS__URL). */
  redis?: boolean;
}

export async function startKiteTestStack(options: KiteTestStackOptions): Promise<KiteTestStack> {
  const { apiKey, apiSecret } = options;
  const database: TestDatabase = await createTestDatabase();
  const redis = options.redis ? await claimRedisDatabase() : undefined;
  const fake = await startFakeKite({ ...options.fake, port: 0, apiKey, apiSecret });
  const env: Record<string, string> = {
    ZERODHA__ENABLED: 'true',
    ZERODHA__API_KEY: apiKey,
    ZERODHA__API_SECRET: apiSecret,
    ZERODHA__API_ROOT: fake.url,
    ZERODHA__LOGIN_ROOT: fake.loginUrl,
    ZERODHA__TICKER_ROOT: fake.tickerUrl,
    SECURITY__ENCRYPTION_KEY: randomBytes(32).toString('hex'),
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
      const result = await authenticateWithRequestToken({ config, pool, now: () => new Date() }, fake.issueRequestToken());
      if (!result.ok) throw new Error(`the login at the fake Kite failed: ${result.reason}`);
    },
    async close() {
      await fake.close();
      await pool.end();
      await redis?.release();
      await database.drop();
    },
  };
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
