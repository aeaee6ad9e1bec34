// `alpha-panda instruments sync`: downloads Kite's instrument dump with the stored Zerodha session
// and upserts it into the instruments table. Idempotent: a second run reports every row unchanged.
// The call is counted with the others of the account (core/broker/kite-calls.ts).
import type { Command } from 'commander';
import { redisKiteCallMeter } from '../../core/broker/kite-calls';
import { syncInstrumentMaster } from '../../core/broker/kite-instruments';
import { loadConfigOrExit } from '../../core/config/load';
import { migrateDatabase } from '../../core/postgres/migrate';
import { postgresConnectionConfig } from '../../core/postgres/ssl';
import { createPool } from '../../core/postgres/pool';
import { createRedis } from '../../core/redis/client';

export function registerInstrumentCommands(program: Command): void {
  const instruments = program.command('instruments').description("Kite's instrument master in Postgres");
  instruments
    .command('sync')
    .description("download Kite's instruments CSV (GET /instruments) and upsert it (needs a stored session)")
    .action(async () => {
      const config = loadConfigOrExit();
      const pool = createPool(config, { applicationName: 'alpha-panda-instruments' });
      const redis = createRedis(config);
      // QUIT is answered after the count sent before it, so the count is not lost on exit.
      const closeRedis = () => redis.quit().catch(() => redis.disconnect());
      try {
        await migrateDatabase(postgresConnectionConfig(config));
        const result = await syncInstrumentMaster(config, pool, new Date(), redisKiteCallMeter(redis));
        process.stdout.write(
          `Instruments: ${result.downloaded} downloaded; ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged.\n`,
        );
        await pool.end();
        await closeRedis();
        process.exit(0);
      } catch (error) {
        process.stderr.write(`instruments sync: ${error instanceof Error ? error.message : String(error)}\n`);
        await pool.end().catch(() => undefined);
        await closeRedis();
        process.exit(1);
      }
    });
}
