// A paper pipeline of its own on the real broker, Postgres and Redis: prefixed topics, a throwaway
// database with the strategies a test wants, a claimed Redis database, and the namespace services
// composed by the production factory. Tests feed it scripted ticks (as the market feed publishes
// them) and read every output topic.
import type { Consumer, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { createEvent, type Envelope, type Tick } from '../../core/domain/events';
import { consumerGroup, type NamespaceService } from '../../core/domain/namespace';
import { consumerLag } from '../../core/kafka/lag';
import { pipelineLayout } from '../../services/pipeline-monitor/stages';
import { marketTicksTopic, namespaceTopics, topicSpecs, type NamespaceTopics } from '../../core/domain/topics';
import { BROKER_RETRY, createKafka } from '../../core/kafka/client';
import { createEventProducer, type EventProducer } from '../../core/kafka/producer';
import { bootstrapTopics } from '../../core/kafka/topics';
import { migrateDatabase } from '../../core/postgres/migrate';
import { createPool } from '../../core/postgres/pool';
import { seedDatabase } from '../../core/postgres/seed';
import { createRedis } from '../../core/redis/client';
import { Resources } from '../../core/resources';
import { publishTicks } from '../../services/market-feed/publish';
import type { Config } from '../../core/config/load';
import { createServiceFactory } from '../../workers/services';
import { eventClock } from '../../core/clock';
import { claimRedisDatabase, createTestDatabase, inSession, testConfig } from './stack';
import { waitFor } from './temporal';
import { releasePrefix, testPrefix } from './topics';

export interface StrategyRow {
  id: string;
  strategyType: string;
  instruments: number[];
  parameters: Record<string, unknown>;
  riskLimits?: Record<string, unknown>;
}

export interface PipelineHarness {
  config: Config;
  prefix: string;
  topics: NamespaceTopics;
  ticksTopic: string;
  kafka: Kafka;
  pool: Pool;
  /** Environment that points a child process at this pipeline (the same config and prefix). */
  env: Record<string, string>;
  startServices(services?: readonly NamespaceService[]): Promise<void>;
  stopServices(): Promise<void>;
  sendTicks(ticks: readonly Tick[]): Promise<Envelope<'tick_received'>[]>;
  /** Every event on a topic so far, in partition/offset order per partition. */
  read(topic: string): Envelope[];
  waitForCount(topic: string, count: number, timeoutMs?: number): Promise<Envelope[]>;
  /** Resolves once every stage has committed everything on its inputs (lag 0 twice in a row). */
  waitForQuiet(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const PIPELINE_SERVICES: readonly NamespaceService[] = ['portfolio-manager', 'trading-engine', 'risk-manager', 'strategy-runner'];

export async function createPipelineHarness(options: { strategies: StrategyRow[]; env?: Record<string, string> }): Promise<PipelineHarness> {
  const prefix = testPrefix();
  const database = await createTestDatabase();
  const redis = await claimRedisDatabase();
  const env = inSession({ DATABASE__POSTGRES_URL: database.url, REDIS__URL: redis.url, ...options.env });
  const config = testConfig(env);
  // The ticks' event times on the stages' clock (inSession).
  const clock = eventClock(config);
  await migrateDatabase(config.database.postgresUrl);
  const pool = createPool(config);
  await seedDatabase(pool);
  // Only the test's strategies trade.
  await pool.query('delete from strategy_configurations');
  for (const strategy of options.strategies) {
    await pool.query(
      `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
       values ('paper', $1, $1, $2, $3, $4, $5, true)`,
      [strategy.id, strategy.strategyType, strategy.instruments, strategy.parameters, strategy.riskLimits ?? {}],
    );
  }
  const kafka = createKafka(config);
  await bootstrapTopics(kafka, topicSpecs(['paper'], prefix));
  const topics = namespaceTopics('paper', prefix);
  const ticksTopic = marketTicksTopic(prefix);

  const producer: EventProducer = createEventProducer(kafka);
  await producer.connect();
  // The feed's own Redis writes (its last prices) come with the ticks it sends.
  const feedRedis = createRedis(config);
  const seen = new Map<string, Envelope[]>();
  const reader: Consumer = kafka.consumer({ groupId: `${prefix}reader`, maxWaitTimeInMs: 100, retry: BROKER_RETRY });
  await reader.connect();
  for (const topic of [ticksTopic, ...Object.values(topics)]) await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const list = seen.get(topic) ?? [];
      list.push(JSON.parse(message.value!.toString()) as Envelope);
      seen.set(topic, list);
    },
  });

  let resources: Resources | undefined;
  let running: { controller: AbortController; done: Promise<void> }[] = [];
  const stopServices = async () => {
    for (const { controller } of running) controller.abort();
    await Promise.all(running.map(({ done }) => done));
    running = [];
    await resources?.close();
    resources = undefined;
  };

  return {
    config,
    prefix,
    topics,
    ticksTopic,
    kafka,
    pool,
    env: { ...env, TEST_TOPIC_PREFIX: prefix },
    async startServices(services = PIPELINE_SERVICES) {
      resources ??= new Resources(config);
      const factory = createServiceFactory(config, resources, { topicPrefix: prefix, groupPrefix: prefix, fromBeginning: true });
      for (const service of services) {
        const controller = new AbortController();
        running.push({ controller, done: factory('paper', service).start(controller.signal) });
      }
    },
    stopServices,
    async sendTicks(ticks) {
      const envelopes = ticks.map((tick) => createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: tick, now: clock() }));
      await publishTicks({ producer, redis: feedRedis, topic: ticksTopic }, envelopes);
      return envelopes;
    },
    read: (topic) => [...(seen.get(topic) ?? [])],
    waitForCount: (topic, count, timeoutMs = 30_000) =>
      waitFor(async () => {
        const list = seen.get(topic) ?? [];
        return list.length >= count && [...list];
      }, `${count} event(s) on ${topic}`, timeoutMs),
    async waitForQuiet(timeoutMs = 60_000) {
      const { stages } = pipelineLayout('paper', topics, ticksTopic, (service) => `${prefix}${consumerGroup('paper', service)}`);
      const groups = stages.filter((stage) => stage.group !== null);
      let quietSamples = 0;
      await waitFor(async () => {
        const lags = await Promise.all(groups.map((stage) => consumerLag(kafka, stage.group!, stage.inputs)));
        quietSamples = lags.flat().every((partition) => partition.lag === 0) ? quietSamples + 1 : 0;
        return quietSamples >= 2;
      }, 'every stage to catch up', timeoutMs);
    },
    async close() {
      await stopServices();
      await reader.disconnect();
      await producer.disconnect();
      feedRedis.disconnect();
      await releasePrefix(kafka, prefix);
      await pool.end();
      await redis.release();
      await database.drop();
    },
  };
}
