// The simulated feed against the real Kafka and Redis: a crash between a send and the save of the
// simulator's state must neither repeat a tick nor skip one on restart, since the feed carries on
// from what the ticks topic holds, not from what it last saved.
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../core/config/load';
import type { Envelope } from '../core/domain/events';
import { marketTicksTopic, topicSpecs } from '../core/domain/topics';
import { createKafka } from '../core/kafka/client';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool } from '../core/postgres/pool';
import { seedDatabase } from '../core/postgres/seed';
import { readLastPrices } from '../core/redis/last-prices';
import { createSimulatedMarketFeed, FINISHED, loadInstruments } from '../services/market-feed/service';
import { stepOfTickId } from '../services/market-feed/simulated-log';
import { MarketSimulator } from '../services/market-feed/simulator';
import { claimRedisDatabase, createTestDatabase, testConfig, type TestDatabase } from './support/stack';
import { waitFor } from './support/temporal';
import { collectTopic, releasePrefix, testPrefix } from './support/topics';

const INSTRUMENTS = [738561, 2953217, 408065];
const TICKS = 90;
const SEED = 42;

const prefix = testPrefix();
let database: TestDatabase;
let redisDb: Awaited<ReturnType<typeof claimRedisDatabase>>;
let config: Config;
let pool: pg.Pool;
let kafka: Kafka;
let redis: Redis;

beforeAll(async () => {
  configureLogging({ level: 'silent', console: false });
  database = await createTestDatabase();
  redisDb = await claimRedisDatabase();
  config = testConfig({
    DATABASE__POSTGRES_URL: database.url,
    REDIS__URL: redisDb.url,
    REDPANDA__TOPIC_PREFIX: prefix,
    MARKET_FEED__INSTRUMENTS: INSTRUMENTS.join(','),
    MARKET_FEED__MAX_TICKS: String(TICKS),
    MARKET_FEED__TICKS_PER_SECOND: '150',
    MARKET_FEED__SEED: String(SEED),
  });
  await migrateDatabase(config.database.postgresUrl);
  pool = createPool(config);
  await seedDatabase(pool);
  kafka = createKafka(config);
  await bootstrapTopics(kafka, topicSpecs([], prefix));
  redis = new Redis(config.redis.url);
});

afterAll(async () => {
  redis?.disconnect();
  await pool?.end();
  await releasePrefix(kafka, prefix);
  await redisDb?.release();
  await database?.drop();
});

/** The Redis client, except that the `failOn`-th save of the feed's state fails, as a crash right after a send would. */
function failingSave(failOn: number): Redis {
  let saves = 0;
  return new Proxy(redis, {
    get(target, property) {
      if (property === 'set') {
        return async (...args: Parameters<Redis['set']>) => {
          saves += 1;
          if (saves === failOn) throw new Error('crashed between the send and the save');
          return target.set(...args);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('simulated market feed', () => {
  it('after a crash between a send and the save, carries on from the topic: no tick twice, none skipped', async () => {
    const ticksTopic = marketTicksTopic(prefix);
    const crashed = createSimulatedMarketFeed({ config, kafka, postgres: pool, ticksTopic, redis: failingSave(4) });
    await expect(crashed.start(new AbortController().signal)).rejects.toThrow('crashed between the send and the save');

    const restarted = createSimulatedMarketFeed({ config, kafka, postgres: pool, ticksTopic, redis });
    const controller = new AbortController();
    const running = restarted.start(controller.signal);
    await waitFor(async () => restarted.health().detail === FINISHED, 'the feed to publish its last tick', 60_000);
    controller.abort();
    await running;

    const admin = kafka.admin();
    await admin.connect();
    const collector = await collectTopic(kafka, admin, ticksTopic, `${prefix}reader`);
    const messages = await collector.read();
    await collector.stop();
    await admin.disconnect();
    const ticks = messages.map(({ message }) => JSON.parse(message.value!.toString()) as Envelope<'tick_received'>);

    // Every step once, by the ids...
    const steps = ticks.map((tick) => stepOfTickId(tick.id, SEED));
    expect([...steps].sort((a, b) => a! - b!)).toEqual(Array.from({ length: TICKS }, (_, step) => step));
    // ...and by the contents: per instrument, exactly the uninterrupted seeded path, in order.
    const instruments = await loadInstruments(pool, INSTRUMENTS);
    const uninterrupted = new MarketSimulator(instruments, SEED);
    const at = new Date();
    const path = Array.from({ length: TICKS }, (_, step) => uninterrupted.tick(step, at));
    for (const token of INSTRUMENTS) {
      const want = path.filter((tick) => tick.instrumentToken === token).map((tick) => [tick.lastPrice, tick.volumeTraded]);
      const have = ticks.filter((tick) => tick.data.instrumentToken === token).map((tick) => [tick.data.lastPrice, tick.data.volumeTraded]);
      expect(have, `instrument ${token}`).toEqual(want);
    }
    // ...and each instrument's last price, where the stages that read prices find it, is its last tick's.
    const lastPrices = await readLastPrices(redis, ticksTopic, INSTRUMENTS);
    for (const token of INSTRUMENTS) {
      const last = path.filter((tick) => tick.instrumentToken === token).at(-1)!;
      expect(lastPrices[String(token)]?.price, `last price of ${token}`).toBe(last.lastPrice);
    }
  });
});
