// TLS towards Postgres from DATABASE__SSL_MODE and DATABASE__SSL_CA_PATH, in the libpq sense of
// each mode. Every client of the database (the pool, the health check, migrations) takes its
// connection settings from here, so they all connect the same way.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { Config } from '../config/load';

/** What a caller must give: the URL always; TLS settings when configured (tests pass a URL only). */
export interface PostgresSettings {
  database: Pick<Config['database'], 'postgresUrl'> & Partial<Pick<Config['database'], 'sslMode' | 'sslCaPath'>>;
}

/** pg's `ssl` option for the configured mode; undefined leaves it to the URL's own parameters. */
export function postgresSslOptions(settings: PostgresSettings): pg.ClientConfig['ssl'] {
  const { sslMode = '', sslCaPath = '' } = settings.database;
  const ca = sslCaPath === '' ? undefined : readFileSync(sslCaPath, 'utf8');
  switch (sslMode) {
    case '':
      return undefined;
    case 'disable':
      return false;
    case 'require':
      // Encrypted, but anyone on the path can present a certificate: only against passive listeners.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must lead to the CA; the host name is not compared (libpq's verify-ca).
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
  }
}

/** Connection settings for a pg Client or Pool (and node-pg-migrate). */
export function postgresConnectionConfig(settings: PostgresSettings): pg.ClientConfig {
  const ssl = postgresSslOptions(settings);
  return { connectionString: settings.database.postgresUrl, ...(ssl === undefined ? {} : { ssl }) };
}
