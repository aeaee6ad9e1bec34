// One run of the paper pipeline on the chaos stack, driven like an operator would: worker
// processes (`alpha-panda worker`), the paper namespace started through its startup workflow,
// the seeded simulator publishing a fixed number of ticks. Each run has a world of its own (topic
// and group prefix, Postgres database, Redis database, Temporal namespace), so runs never mix.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startNamespace } from '../api/operations';
import type { Config } from '../core/config/load';
import { consumerGroup, NAMESPACE_SERVICES, type ServiceName } from '../core/domain/namespace';
import { marketTicksTopic, namespaceTopics, stageInputs, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { createKafka } from '../core/kafka/client';
import { consumerLag } from '../core/kafka/lag';
import { bootstrapTopics } from '../core/kafka/topics';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool } from '../core/postgres/pool';
import { seedDatabase } from '../core/postgres/seed';
import { inSession } from '../test/support/stack';
import { createTestTemporal, waitFor, type TestTemporal } from '../test/support/temporal';
import { REPO_ROOT } from '../scripts/infra/paths';
import { supervisorWorkflowId, TASK_QUEUE } from '../workflows/definitions';
import { CHAOS_DATA_DIR, CHAOS_STACK_ENV, chaosConfig, sigkill, waitForExit } from './stack';

/** The seeded input every run gets: the same instruments, seed, strategies and number of ticks. */
export const INPUT = {
  instruments: [738561, 2953217], // RELIANCE and TCS from the seed data
  // 10 s of ticks: long enough for a fault to land mid-stream, short enough for a quick suite.
  ticks: 300,
  ticksPerSecond: 30,
  seed: 42,
  paperSeed: 7,
};

export const STRATEGIES = [
  { id: 'demo', type: 'low_frequency_demo', parameters: { everyTicks: 7, quantity: 10 } },
  { id: 'momo', type: 'momentum', parameters: { lookbackTicks: 4, thresholdBps: 15, quantity: 5 } },
] as const;

export interface WorkerProcess {
  readonly label: string;
  readonly child: ChildProcess;
  /** Temporal's identity of this worker (the SDK's default, pid@host). */
  readonly identity: string;
  /** Its exit code (or signal), once it has exited. */
  readonly exited: Promise<string>;
  readonly logPath: string;
}

/** A worker process exited before it polled the task queue (its log's last line says why). */
export class WorkerExitedError extends Error {}

export interface LiveRun {
  readonly name: string;
  readonly config: Config;
  readonly env: Record<string, string>;
  readonly topics: NamespaceTopics;
  readonly ticksTopic: string;
  readonly kafka: Kafka;
  readonly client: Client;
  readonly workers: WorkerProcess[];
  startWorker(label: string): Promise<WorkerProcess>;
  /** Resolves once the worker polls the task queue; rejects (WorkerExitedError) if it exits first. */
  untilPolling(worker: WorkerProcess): Promise<void>;
  killWorker(worker: WorkerProcess): Promise<void>;
  /** Ticks on market.ticks so far. */
  ticksPublished(): Promise<number>;
  /** Sum of the committed offsets of every stage's group on its inputs (moves when stages work). */
  committedProgress(): Promise<number>;
  /** The worker identity each running service's activity last heartbeated from. */
  placement(): Promise<Map<ServiceName, string | null>>;
}

/** Every worker process the suite started and has not killed yet, whatever run it belongs to. */
const spawned = new Set<number>();

/** SIGKILL to every worker still running (the suite is ending, perhaps interrupted). */
export function killAllWorkers(): void {
  for (const pid of spawned) sigkill(pid);
  spawned.clear();
}

const STAGES = ['strategy-runner', 'risk-manager', 'trading-engine', 'portfolio-manager'] as const;
const SERVICES: ServiceName[] = ['market-feed', ...NAMESPACE_SERVICES];

/**
 * A run's environment. Its event clock is at 10:00 IST of the day the suite started (inSession):
 * the paper engine refuses MIS orders after the 15:20 IST auto square-off, so on the wall clock a
 * suite run in the evening would see every order rejected and no fill to lose or duplicate.
 */
function runEnv(index: number, suite: string, temporalNamespace: string): Record<string, string> {
  const prefix = `${suite}r${index}.`;
  return inSession({
    ...CHAOS_STACK_ENV,
    DATABASE__POSTGRES_URL: CHAOS_STACK_ENV.DATABASE__POSTGRES_URL!.replace(/\/alpha_panda$/, `/chaos_run${index}`),
    REDIS__URL: CHAOS_STACK_ENV.REDIS__URL!.replace(/\/0$/, `/${index}`),
    REDPANDA__TOPIC_PREFIX: prefix,
    TEMPORAL__NAMESPACE: temporalNamespace,
    MARKET_FEED__INSTRUMENTS: INPUT.instruments.join(','),
    MARKET_FEED__MAX_TICKS: String(INPUT.ticks),
    MARKET_FEED__TICKS_PER_SECOND: String(INPUT.ticksPerSecond),
    MARKET_FEED__SEED: String(INPUT.seed),
    PAPER__SEED: String(INPUT.paperSeed),
    PORTFOLIO__SNAPSHOT_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
    LOG_DIR: `${CHAOS_DATA_DIR}/logs/run${index}`,
  });
}

/** The database every run's is copied from: migrated, seeded, with the suite's strategies. */
const TEMPLATE_DATABASE = 'chaos_template';
let template: Promise<void> | undefined;

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: CHAOS_STACK_ENV.DATABASE__POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Migrations and the seed run once per suite; each run's database is a copy (fast). */
async function prepareTemplate(config: Config): Promise<void> {
  await adminQuery(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
  await adminQuery(`create database ${TEMPLATE_DATABASE}`);
  const url = config.database.postgresUrl.replace(/\/[^/]+$/, `/${TEMPLATE_DATABASE}`);
  await migrateDatabase(url);
  const pool = createPool({ ...config, database: { ...config.database, postgresUrl: url } });
  try {
    await seedDatabase(pool);
    await pool.query('delete from strategy_configurations');
    for (const strategy of STRATEGIES) {
      await pool.query(
        `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
         values ('paper', $1, $1, $2, $3, $4, $5, true)`,
        // Enough daily trades that the limit is not what the run is about.
        [strategy.id, strategy.type, INPUT.instruments, strategy.parameters, { maxDailyTradesPerStrategy: 10_000 }],
      );
    }
  } finally {
    await pool.end();
  }
}

async function prepareDatabase(config: Config): Promise<void> {
  template ??= prepareTemplate(config);
  await template;
  const name = new URL(config.database.postgresUrl).pathname.slice(1);
  await adminQuery(`drop database if exists ${name} with (force)`);
  await adminQuery(`create database ${name} template ${TEMPLATE_DATABASE}`);
}

/**
 * Production groups start at the latest offset, and the feed starts before the stages: commit
 * offset 0 for every stage's group on its inputs first, so that every run reads its input whole.
 */
async function startGroupsAtZero(kafka: Kafka, prefix: string, topics: NamespaceTopics, ticksTopic: string): Promise<void> {
  const inputs = stageInputs('paper', topics, ticksTopic);
  const admin = kafka.admin();
  await admin.connect();
  const partitionsOf = new Map<string, number[]>();
  try {
    for (const topic of new Set(STAGES.flatMap((stage) => inputs[stage].map((input) => input.topic)))) {
      // Right after creation a partition may have no leader yet: ask until every one has.
      const offsets = await waitFor(() => admin.fetchTopicOffsets(topic), `leaders of ${topic}`, 60_000, 10_000);
      partitionsOf.set(topic, offsets.map(({ partition }) => partition));
    }
  } finally {
    await admin.disconnect();
  }
  // kafkajs' admin.setOffsets waits for a fetch that was seen never to come: join each group
  // with a member that handles nothing and commits nothing, commit 0 everywhere and leave. Right
  // after Kafka starts its group coordinator may still be loading: such an attempt is retried.
  const commitZero = async (stage: (typeof STAGES)[number]) => {
    const groupTopics = inputs[stage].map((input) => input.topic);
    const consumer = kafka.consumer({ groupId: `${prefix}${consumerGroup('paper', stage)}`, maxWaitTimeInMs: 100, retry: { retries: 0 } });
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    const crashed = new Promise((_, reject) => consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error)));
    crashed.catch(() => undefined);
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: groupTopics, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
      await Promise.race([joined, crashed]);
      await consumer.commitOffsets(
        groupTopics.flatMap((topic) => partitionsOf.get(topic)!.map((partition) => ({ topic, partition, offset: '0' }))),
      );
      return true;
    } finally {
      await consumer.disconnect();
    }
  };
  await Promise.all(STAGES.map((stage) => waitFor(() => commitZero(stage), `the group of ${stage} at offset 0`, 60_000, 30_000)));
}

export interface RunHandle extends LiveRun {
  /** Stops the namespace and every worker, and closes the run's connections. */
  close(): Promise<void>;
}

export async function startRun(options: { index: number; suite: string; workers: number }): Promise<RunHandle> {
  const base = chaosConfig();
  const temporal: TestTemporal = await createTestTemporal(base.temporal.address);
  const env = runEnv(options.index, options.suite, temporal.namespace);
  const config = chaosConfig(env);
  const prefix = config.redpanda.topicPrefix;
  const name = `run${options.index}`;
  const logDir = join(REPO_ROOT, CHAOS_DATA_DIR, 'logs', name);
  mkdirSync(logDir, { recursive: true });

  const step = (what: string) => process.stdout.write(`    ${name}: ${what}\n`);
  step('database');
  await prepareDatabase(config);
  step('redis');
  const redis = new Redis(config.redis.url);
  await redis.flushdb();
  redis.disconnect();
  const kafka = createKafka(config, `chaos-${name}`);
  const topics = namespaceTopics('paper', prefix);
  const ticksTopic = marketTicksTopic(prefix);
  step('topics');
  await bootstrapTopics(kafka, topicSpecs(['paper'], prefix));
  step('consumer groups at offset 0');
  await startGroupsAtZero(kafka, prefix, topics, ticksTopic);
  step('workers');

  const workers: WorkerProcess[] = [];
  const startWorker = async (label: string): Promise<WorkerProcess> => {
    const logPath = join(logDir, `worker-${label}.log`);
    const log = openSync(logPath, 'a');
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alpha-panda.mjs'), 'worker'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    spawned.add(child.pid!);
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
    const worker = { label, child, identity: `${child.pid}@${hostname()}`, exited, logPath };
    workers.push(worker);
    return worker;
  };
  /** Resolves once `worker` polls the task queue; rejects if it exits first. */
  const untilPolling = async (worker: WorkerProcess): Promise<void> => {
    const polling = waitFor(async () => {
      const { pollers } = await temporal.client.workflowService.describeTaskQueue({ namespace: temporal.namespace, taskQueue: { name: TASK_QUEUE } });
      return (pollers ?? []).some((poller) => poller.identity === worker.identity);
    }, `worker ${worker.label} polling the task queue`, 120_000);
    const died = worker.exited.then((how) => {
      const lines = readFileSync(worker.logPath, 'utf8').trim().split('\n');
      const why = lines.find((line) => /Error/.test(line)) ?? lines.at(-1);
      throw new WorkerExitedError(`worker ${worker.label} exited (${how}) before polling: ${why?.slice(0, 200)}`);
    });
    // Whichever loses must not reject unobserved later (the worker killed, the wait timed out).
    polling.catch(() => undefined);
    died.catch(() => undefined);
    await Promise.race([polling, died]);
  };
  for (let i = 0; i < options.workers; i += 1) await startWorker(String.fromCharCode(97 + i));

  const admin = kafka.admin();
  await admin.connect();
  const live: RunHandle = {
    name,
    config,
    env,
    topics,
    ticksTopic,
    kafka,
    client: temporal.client,
    workers,
    startWorker,
    untilPolling,
    async killWorker(worker) {
      const pid = worker.child.pid!;
      sigkill(pid);
      await waitForExit(pid);
      spawned.delete(pid);
      workers.splice(workers.indexOf(worker), 1);
    },
    async ticksPublished() {
      const offsets = await admin.fetchTopicOffsets(ticksTopic);
      return offsets.reduce((sum, { high }) => sum + Number(high), 0);
    },
    async committedProgress() {
      const inputs = stageInputs('paper', topics, ticksTopic);
      let total = 0;
      for (const stage of STAGES) {
        const group = `${prefix}${consumerGroup('paper', stage)}`;
        for (const entry of await admin.fetchOffsets({ groupId: group, topics: inputs[stage].map(({ topic }) => topic) })) {
          for (const partition of entry.partitions) total += Math.max(0, Number(partition.offset));
        }
      }
      return total;
    },
    async placement() {
      const result = new Map<ServiceName, string | null>();
      for (const service of SERVICES) {
        const description = await temporal.client.workflow.getHandle(supervisorWorkflowId('paper', service)).describe();
        const pending = description.raw.pendingActivities?.[0];
        result.set(service, pending?.lastWorkerIdentity ?? null);
      }
      return result;
    },
    async close() {
      // The run's outcome has been read and its world is thrown away: no clean stop needed.
      for (const worker of [...workers]) await live.killWorker(worker).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await temporal.close().catch(() => undefined);
    },
  };
  try {
    await Promise.all(workers.map(untilPolling));
  } catch (error) {
    await live.close();
    throw error;
  }
  step('start the paper namespace');
  await startNamespace(temporal.client, 'paper');
  return live;
}

/** Messages the stages have not committed yet, over all their inputs. */
export async function stagesLag(run: LiveRun): Promise<number> {
  const prefix = run.config.redpanda.topicPrefix;
  const inputs = stageInputs('paper', run.topics, run.ticksTopic);
  const lags = await Promise.all(STAGES.map((stage) => consumerLag(run.kafka, `${prefix}${consumerGroup('paper', stage)}`, inputs[stage].map(({ topic }) => topic))));
  return lags.flat().reduce((sum, partition) => sum + partition.lag, 0);
}

/**
 * Waits until the feed has published every tick and the pipeline has drained: lag 0 on every
 * stage's inputs and no new message on any topic for `quietMs`.
 */
export async function waitForDrain(run: LiveRun, timeoutMs = 75_000, quietMs = 2_000): Promise<void> {
  await waitFor(async () => (await run.ticksPublished()) >= INPUT.ticks, `the feed's ${INPUT.ticks} ticks`, timeoutMs);
  const admin = run.kafka.admin();
  await admin.connect();
  try {
    const allTopics = [run.ticksTopic, ...Object.values(run.topics)];
    let lastEnds = '';
    let quietSince = Date.now();
    await waitFor(async () => {
      const ends = JSON.stringify(await Promise.all(allTopics.map((topic) => admin.fetchTopicOffsets(topic))));
      if (ends !== lastEnds) {
        lastEnds = ends;
        quietSince = Date.now();
      }
      return (await stagesLag(run)) === 0 && Date.now() - quietSince >= quietMs;
    }, 'the pipeline to drain', timeoutMs, 30_000);
  } finally {
    await admin.disconnect();
  }
}
