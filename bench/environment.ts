// A throwaway world for one benchmark run on the shared broker: topics under a unique prefix,
// consumer groups named after the run, a fresh database (migrated, seeded, with one strategy that
// trades on the benchmark's instruments) and a Redis database of its own. `cleanup()` removes all
// of it, whatever state the run ended in.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { parseConfig, readEnvironment, type Config } from '../core/config/load';
import { consumerGroup } from '../core/domain/namespace';
import { marketTicksTopic, namespaceTopics, topicSpecs, type NamespaceTopics } from '../core/domain/topics';
import { paise } from '../core/domain/money';
import { createKafka } from '../core/kafka/client';
import { bootstrapTopics } from '../core/kafka/topics';
import { migrateDatabase } from '../core/postgres/migrate';
import { createPool } from '../core/postgres/pool';
import { seedDatabase } from '../core/postgres/seed';
import { SEED_INSTRUMENT_DEFAULTS, SEED_INSTRUMENTS } from '../core/postgres/seed-data';
import type { SimulatedInstrument } from '../services/market-feed/simulator';
import { claimRedisDatabase, createTestDatabase, inSession } from '../test/support/stack';

export const BENCH_STRATEGY_ID = 'bench_low_frequency';
/** By default the benchmark strategy takes a view on every this-many ticks of each instrument (--signal-every). */
export const SIGNAL_EVERY_TICKS = 20;
/** The pipeline stages the benchmark runs, in data-flow order: every namespace service but the monitor. */
export const BENCH_STAGES = ['strategy-runner', 'risk-manager', 'trading-engine', 'portfolio-manager'] as const;
export type BenchStage = (typeof BENCH_STAGES)[number];

export interface BenchSettings {
  run: string;
  prefix: string;
  /** Environment variables the pipeline process adds to its own (database, Redis, log level). */
  overrides: Record<string, string>;
}

export interface BenchEnvironment extends BenchSettings {
  config: Config;
  kafka: Kafka;
  topics: NamespaceTopics;
  ticksTopic: string;
  instruments: SimulatedInstrument[];
  groupFor(service: BenchStage | BenchReader): string;
  cleanup(): Promise<void>;
}

/** Every consumer group of a run starts with this (the worker factory's `groupPrefix`). */
export const benchGroupPrefix = (run: string) => `${run}.`;

/** A stage's group as the worker factory names it with the run's prefix; the run's own readers alike. */
/** The run's own consumers, besides the pipeline's stages. */
export type BenchReader = 'fill-observer' | 'baseline' | 'hop-baseline';

export function benchGroup(run: string, service: BenchStage | BenchReader): string {
  const name = service === 'fill-observer' || service === 'baseline' || service === 'hop-baseline' ? service : consumerGroup('paper', service);
  return `${benchGroupPrefix(run)}${name}`;
}

export function benchConfig(overrides: Record<string, string>): Config {
  return parseConfig({ ...readEnvironment(), ...overrides });
}

/** The strategy every benchmark run trades with: low_frequency_demo on the chosen instruments. */
const INSERT_BENCH_STRATEGY = `
  INSERT INTO strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
  VALUES ('paper', $1, 'Benchmark: a signal every N ticks', 'low_frequency_demo', $2::integer[], $3::jsonb, $4::jsonb, true)`;

export async function prepareEnvironment(options: { instruments: number; signalEveryTicks: number; spreadViews: boolean }): Promise<BenchEnvironment> {
  if (options.instruments > SEED_INSTRUMENTS.length) {
    throw new Error(`--instruments can be at most ${SEED_INSTRUMENTS.length}, the number of seeded instruments`);
  }
  const run = `bench-${randomUUID().slice(0, 8)}`;
  const prefix = `${run}.`;
  const base = benchConfig({});
  const kafka = createKafka(base, run);
  const undo: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
  };

  try {
    undo.push(() => deleteRunArtifacts(kafka, prefix, run));
    await bootstrapTopics(kafka, topicSpecs(['paper'], prefix));

    const database = await createTestDatabase(base.database.postgresUrl);
    undo.push(() => database.drop());
    await migrateDatabase(database.url);
    const chosen = SEED_INSTRUMENTS.slice(0, options.instruments);
    const pool = createPool(benchConfig({ DATABASE__POSTGRES_URL: database.url }), { applicationName: `${run}-setup` });
    try {
      await seedDatabase(pool);
      // Only the benchmark's strategy exists, so every figure is about the same workload.
      await pool.query('DELETE FROM strategy_configurations');
      await pool.query(INSERT_BENCH_STRATEGY, [
        BENCH_STRATEGY_ID,
        chosen.map((instrument) => instrument.instrumentToken),
        JSON.stringify({ everyTicks: options.signalEveryTicks, spreadByInstrument: options.spreadViews, quantity: 1 }),
        // Every signal of the run may trade: the daily trade count is not what is measured.
        JSON.stringify({ maxDailyTradesPerStrategy: 1_000_000 }),
      ]);
    } finally {
      await pool.end();
    }

    const redis = await claimRedisDatabase(base.redis.url);
    undo.push(() => redis.release());

    // Inside the NSE session whenever it runs (10:00 IST today on the event clock, as the tests):
    // on the wall clock the paper engine refuses every MIS order after 15:20 IST, and an evening
    // run would measure no fill at all.
    const overrides = inSession({ DATABASE__POSTGRES_URL: database.url, REDIS__URL: redis.url, LOG_LEVEL: 'error' });
    return {
      run,
      prefix,
      overrides,
      config: benchConfig(overrides),
      kafka,
      topics: namespaceTopics('paper', prefix),
      ticksTopic: marketTicksTopic(prefix),
      instruments: chosen.map((instrument) => ({
        instrumentToken: instrument.instrumentToken,
        tradingsymbol: instrument.tradingsymbol,
        exchange: SEED_INSTRUMENT_DEFAULTS.exchange,
        tickSize: paise(SEED_INSTRUMENT_DEFAULTS.tickSizePaise),
        startPrice: paise(instrument.referencePricePaise),
      })),
      groupFor: (service) => benchGroup(run, service),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function deleteRunArtifacts(kafka: Kafka, prefix: string, run: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(benchGroupPrefix(run)));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
