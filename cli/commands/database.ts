// Running a command against Postgres: the configuration, a one-connection pool, the errors an
// operator can act on as one line (a refused change, a missing table, an unreachable server),
// and an exit once done, so that no idle client socket keeps the command alive.
import type { Config } from '../../core/config/load';
import type { Pool } from '../../core/postgres/pool';

export interface DatabaseContext {
  config: Config;
  pool: Pool;
}

/** Turns an error the command expects into its one-line message; undefined for the others. */
export type ExpectedErrors = (error: unknown) => string | undefined;

function databaseProblem(error: unknown): string | undefined {
  const { code } = (error ?? {}) as { code?: string };
  if (code === '42P01') return `${(error as Error).message}: the database is not migrated yet; run 'alpha-panda migrate'`;
  if (code === 'ECONNREFUSED' || code === '3D000' || code === '28P01') {
    return `cannot use Postgres (DATABASE__POSTGRES_URL): ${(error as Error).message}`;
  }
  return undefined;
}

export async function runWithDatabase(
  name: string,
  action: (context: DatabaseContext) => Promise<number | void>,
  expected: ExpectedErrors = () => undefined,
): Promise<never> {
  const { loadConfigOrExit } = await import('../../core/config/load');
  const { createPool } = await import('../../core/postgres/pool');
  const config = loadConfigOrExit();
  const pool = createPool(config, { max: 1, applicationName: `alpha-panda-${name}` });
  let code = 0;
  try {
    code = (await action({ config, pool })) ?? 0;
  } catch (error) {
    const message = expected(error) ?? databaseProblem(error);
    if (message === undefined) throw error;
    process.stderr.write(`${name}: ${message}\n`);
    code = 1;
  } finally {
    await pool.end();
  }
  process.exit(code);
}
