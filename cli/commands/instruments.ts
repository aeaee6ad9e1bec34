// `alpha-panda instruments sync`: downloads Kite's instrument dump with the stored Zerodha session
// and upserts it into the instruments table. Idempotent: a second run reports every row unchanged.
import type { Command } from 'commander';
import { syncInstrumentMaster } from '../../core/broker/kite-instruments';
import { loadConfigOrExit } from '../../core/config/load';
import { migrateDatabase } from '../../core/postgres/migrate';
import { postgresConnectionConfig } from '../../core/postgres/ssl';
import { createPool } from '../../core/postgres/pool';

export function registerInstrumentCommands(program: Command): void {
  const instruments = program.command('instruments').description("Kite's instrument master in Postgres");
  instruments
    .command('sync')
    .description("download Kite's instruments CSV (GET /instruments) and upsert it (needs a stored session)")
    .action(async () => {
      const config = loadConfigOrExit();
      const pool = createPool(config, { applicationName: 'alpha-panda-instruments' });
      try {
        await migrateDatabase(postgresConnectionConfig(config));
        const result = await syncInstrumentMaster(config, pool);
        process.stdout.write(
          `Instruments: ${result.downloaded} downloaded; ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged.\n`,
        );
        await pool.end();
        process.exit(0);
      } catch (error) {
        process.stderr.write(`instruments sync: ${error instanceof Error ? error.message : String(error)}\n`);
        await pool.end().catch(() => undefined);
        process.exit(1);
      }
    });
}
