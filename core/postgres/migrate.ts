// Versioned schema migrations (node-pg-migrate). The migration files live in the top-level
// `migrations/` folder as plain ES modules (`<13-digit timestamp>_<name>.js`), which load under
// tsx, vitest and plain node alike; node-pg-migrate imports them natively, so TypeScript files
// would only load where a TypeScript loader happens to be registered.
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { ClientConfig } from 'pg';
import { getLogger } from '../logging';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
export const MIGRATIONS_TABLE = 'pgmigrations';

/** Only `.js` files are migrations (and nothing hidden), so a stray file cannot become one. */
const IGNORE_NON_MIGRATIONS = '(?:\\..*|(?!.*\\.js$).*)';

const LOCK_BUSY = 'Another migration is already running';
const UNLOCK_FAILED = 'Failed to release migration lock';

export interface MigrateOptions {
  /** Receives node-pg-migrate's progress lines; defaults to the application log at debug. */
  log?: (message: string) => void;
  /** How often to try again while another process holds the migration lock. */
  lockAttempts?: number;
}

/**
 * Applies every pending migration in one transaction and returns the names of those applied
 * (empty when the schema is up to date). Safe to run from several processes at once: they take
 * node-pg-migrate's advisory lock in turn.
 */
export async function migrateDatabase(databaseUrl: string | ClientConfig, options: MigrateOptions = {}): Promise<string[]> {
  const logger = getLogger('application');
  const fields = { component: 'migrations' };
  const log = options.log ?? ((message: string) => logger.debug(fields, message));
  const attempts = options.lockAttempts ?? 10;

  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await runner({
        databaseUrl,
        dir: MIGRATIONS_DIR,
        ignorePattern: IGNORE_NON_MIGRATIONS,
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'up',
        checkOrder: true,
        singleTransaction: true,
        verbose: false,
        logger: {
          debug: () => {},
          info: log,
          // node-pg-migrate also warns when it fails to release a lock it never obtained, which
          // is the expected outcome of waiting for another process; that one is not news.
          warn: (message) => (message === UNLOCK_FAILED ? logger.debug(fields, message) : logger.warn(fields, message)),
          error: (message) => logger.error(fields, message),
        },
      });
      return applied.map((migration) => migration.name);
    } catch (error) {
      const busy = error instanceof Error && error.message.includes(LOCK_BUSY);
      if (!busy || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}
