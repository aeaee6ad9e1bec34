// `alpha-panda migrate | bootstrap | seed`: the database schema, the Kafka topics and the sample
// data. Each is idempotent and prints what it did.
import type { Command } from 'commander';
import { loadConfigOrExit, type Config } from '../../core/config/load';
import { topicSpecs } from '../../core/domain/topics';
import { createKafka } from '../../core/kafka/client';
import { bootstrapTopics } from '../../core/kafka/topics';
import { migrateDatabase } from '../../core/postgres/migrate';
import { postgresConnectionConfig } from '../../core/postgres/ssl';
import { createPool } from '../../core/postgres/pool';
import { seedDatabase } from '../../core/postgres/seed';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Runs the action and exits, so that no idle client socket keeps the CLI alive. */
async function guarded(name: string, action: (config: Config) => Promise<void>): Promise<never> {
  const config = loadConfigOrExit();
  try {
    await action(config);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

async function migrate(config: Config): Promise<void> {
  const applied = await migrateDatabase(postgresConnectionConfig(config));
  if (applied.length === 0) say('Database schema is up to date; no migrations applied.');
  else say(`Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}`);
}

export function registerDataCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (Postgres)')
    .action(() => guarded('migrate', migrate));

  program
    .command('bootstrap')
    .description('create the Kafka topics (and their DLQs) that do not exist yet')
    .action(() =>
      guarded('bootstrap', async (config) => {
        const kafka = createKafka(config, `${config.redpanda.clientId}-bootstrap`);
        const result = await bootstrapTopics(kafka, topicSpecs(undefined, config.redpanda.topicPrefix));
        const { created, existing, replicationFactor } = result;
        say(`Topics: ${created.length} created, ${existing.length} already existed (replication factor ${replicationFactor}).`);
        for (const topic of result.created) say(`  created ${topic}`);
        for (const { topic, from, to } of result.partitionsIncreased) say(`  ${topic}: partitions ${from} -> ${to}`);
      }),
    );

  program
    .command('seed')
    .description('apply pending migrations, then load the sample instruments and strategies (idempotent)')
    .action(() =>
      guarded('seed', async (config) => {
        await migrate(config);
        const pool = createPool(config, { applicationName: 'alpha-panda-seed' });
        try {
          const { instruments, strategies } = await seedDatabase(pool);
          say(`Instruments: ${instruments.inserted} inserted, ${instruments.updated} updated, ${instruments.unchanged} unchanged.`);
          say(`Strategies: ${strategies.inserted} inserted, ${strategies.existing} already existed (left as they are).`);
        } finally {
          await pool.end();
        }
      }),
    );
}
