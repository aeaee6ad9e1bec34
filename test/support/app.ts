// An isolated Alpha Panda for one test file: its own Temporal namespace, database, Redis
// database, topics and consumer groups (REDPANDA__TOPIC_PREFIX) on the real local stack, and
// in-process workers built exactly as `alpha-panda worker` builds them.
import type { Config } from '../../core/config/load';
import type { ServiceName } from '../../core/domain/namespace';
import { configureLogging } from '../../core/logging';
import { migrateDatabase } from '../../core/postgres/migrate';
import { createPool } from '../../core/postgres/pool';
import { seedDatabase } from '../../core/postgres/seed';
import { Resources } from '../../core/resources';
import { installRuntime } from '../../workers/runtime';
import { createServiceFactory } from '../../workers/services';
import { createWorker, type RunningWorker } from '../../workers/worker';
import { claimRedisDatabase, createTestDatabase, inSession, testConfig } from './stack';
import { releasePrefix, testPrefix } from './topics';
import { createKafka } from '../../core/kafka/client';
import { createTestTemporal, sharedWorkflowBundle, type TestTemporal } from './temporal';
import { temporalDataConverter } from '../../core/temporal/codec';

export interface TestApp {
  config: Config;
  temporal: TestTemporal;
  /** Environment that points a child process (`alpha-panda worker`) at this app. */
  env: Record<string, string>;
  /** `services`: the services this worker hosts (default all), as `alpha-panda worker --services`. */
  startWorker(overrides?: Record<string, string>, services?: readonly ServiceName[]): Promise<{ running: RunningWorker; done: Promise<void> }>;
  seed(): Promise<void>;
  /** Shuts down every worker started here and waits until each has drained. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  configureLogging({ level: 'warn', console: true });
  installRuntime();
  const base = testConfig();
  // The test's client encrypts payloads exactly as the app's clients and workers do.
  const temporal = await createTestTemporal(base.temporal.address, temporalDataConverter(testConfig(overrides)));
  const database = await createTestDatabase(base.database.postgresUrl);
  const redis = await claimRedisDatabase(base.redis.url);
  const topicPrefix = testPrefix();
  const env = inSession({
    DATABASE__POSTGRES_URL: database.url,
    REDIS__URL: redis.url,
    REDPANDA__TOPIC_PREFIX: topicPrefix,
    TEMPORAL__NAMESPACE: temporal.namespace,
    MARKET_FEED__TICKS_PER_SECOND: '20',
    ...overrides,
  });
  const config = testConfig(env);
  const workers: { running: RunningWorker; done: Promise<void> }[] = [];
  const stopWorkers = async () => {
    for (const { running, done } of workers) {
      if (running.worker.getState() === 'RUNNING') running.worker.shutdown();
      await done.catch(() => undefined);
    }
  };

  return {
    config,
    temporal,
    env,
    async startWorker(workerOverrides = {}, services) {
      const workerConfig = testConfig({ ...env, ...workerOverrides });
      const resources = new Resources(workerConfig);
      const running = await createWorker({
        config: workerConfig,
        connection: temporal.nativeConnection,
        workflowBundle: await sharedWorkflowBundle(),
        resources,
        ...(services ? { services } : {}),
        // The app's own topics and groups, never the user's: passed explicitly, not left to the
        // factory's default, so an override of the environment cannot drop the prefix.
        createService: createServiceFactory(workerConfig, resources, { topicPrefix, groupPrefix: topicPrefix }),
      });
      const entry = { running, done: running.run() };
      workers.push(entry);
      return entry;
    },
    async seed() {
      await migrateDatabase(config.database.postgresUrl);
      const pool = createPool(config);
      await seedDatabase(pool);
      await pool.end();
    },
    stopWorkers,
    async close() {
      await stopWorkers();
      await temporal.close();
      await releasePrefix(createKafka(config), topicPrefix);
      await redis.release();
      await database.drop();
    },
  };
}
