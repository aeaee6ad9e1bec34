// Postgres from Debian's package, as a cluster of our own under the data directory: created once
// with initdb, started with pg_ctl on the configured port, with the application's role and
// database created idempotently. Postgres refuses to run as root, so as root every server
// command runs as the `postgres` system user, which owns the cluster directory.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../../../core/config/load';
import { formatHostPort, postgresAddress } from '../addresses';
import { isAlive, run } from '../process';
import { ensureDebianPackages, postgresBinDir } from '../system-packages';
import type { Component, InfraContext, InfraPaths } from '../types';
import { START_TIMEOUT_MS } from '../wait';

const SUPERUSER = 'postgres';
// A Unix socket path may not exceed 107 bytes; deep data directories fall back to /tmp.
const MAX_SOCKET_DIR_LENGTH = 90;

const rootDir = (paths: InfraPaths) => join(paths.dataDir, 'postgres');
const clusterDir = (paths: InfraPaths) => join(rootDir(paths), 'data');
const logFile = (paths: InfraPaths) => join(paths.logDir, 'postgres.log');
function socketDir(paths: InfraPaths): string {
  const preferred = join(rootDir(paths), 'socket');
  return preferred.length <= MAX_SOCKET_DIR_LENGTH ? preferred : '/tmp';
}

const asRoot = () => process.getuid?.() === 0;

function binary(name: string): string {
  const dir = postgresBinDir();
  if (!dir) throw new Error('postgres: Postgres binaries not found (Debian package postgresql)');
  return join(dir, name);
}

/** Runs a Postgres server program, as the `postgres` user when we are root. */
function runServerTool(name: string, args: string[]) {
  return asRoot() ? run('runuser', ['-u', SUPERUSER, '--', binary(name), ...args]) : run(binary(name), args);
}

/** Makes `path` belong to the postgres user (as root), so that the server can write to it. */
async function handOver(path: string): Promise<void> {
  if (asRoot()) await run('chown', [`${SUPERUSER}:${SUPERUSER}`, path]);
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

function postmasterPid(paths: InfraPaths): number | undefined {
  const file = join(clusterDir(paths), 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && isAlive(pid, clusterDir(paths)) ? pid : undefined;
}

async function withClient<T>(options: pg.ClientConfig, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionTimeoutMillis: 3000, ...options });
  client.on('error', () => undefined); // a dropped connection surfaces through the query instead
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const asSuperuser = (ctx: InfraContext) => ({
  host: socketDir(ctx.paths),
  port: postgresAddress(ctx.config).port,
  user: SUPERUSER,
  database: 'postgres',
});

/** Creates (or brings up to date) the application's role and database. */
async function ensureRoleAndDatabase(ctx: InfraContext): Promise<void> {
  const { user, password, database } = postgresAddress(ctx.config);
  await withClient(asSuperuser(ctx), async (client) => {
    const role = client.escapeIdentifier(user);
    // CREATEDB: this is the local development cluster, and the tests create throwaway databases as the app's role.
    const login = password === '' ? 'LOGIN' : `LOGIN PASSWORD ${client.escapeLiteral(password)}`;
    const credentials = `${login} CREATEDB`;
    const roleExists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount === 1;
    // ALTER keeps the password in step with DATABASE__POSTGRES_URL when it changes.
    await client.query(`${roleExists ? 'ALTER' : 'CREATE'} ROLE ${role} WITH ${credentials}`);
    const databaseExists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
    if (!databaseExists) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} OWNER ${role}`);
      ctx.progress.step('postgres', `created role ${user} and database ${database}`);
    }
  });
}

export const postgresComponent: Component = {
  name: 'postgres',

  address(config) {
    const { user, database } = postgresAddress(config);
    return `${formatHostPort(postgresAddress(config))} (database ${database}, role ${user})`;
  },

  logFile,

  async install(ctx) {
    await ensureDebianPackages(ctx.progress, 'postgres');
  },

  async prepare(ctx) {
    await ensureDebianPackages(ctx.progress, 'postgres');
    for (const dir of [rootDir(ctx.paths), socketDir(ctx.paths)]) {
      if (dir === '/tmp') continue;
      mkdirSync(dir, { recursive: true });
      await handOver(dir);
    }
    mkdirSync(ctx.paths.logDir, { recursive: true });
    closeSync(openSync(logFile(ctx.paths), 'a'));
    await handOver(logFile(ctx.paths));
    if (asRoot()) {
      await run('runuser', ['-u', SUPERUSER, '--', 'test', '-w', rootDir(ctx.paths)]).catch(() => {
        throw new Error(
          `postgres: the postgres system user cannot write to ${rootDir(ctx.paths)} (a parent directory is closed to it); ` +
            'set INFRA__DATA_DIR to a directory it can reach, for example /var/tmp/alpha-panda',
        );
      });
    }

    const versionFile = join(clusterDir(ctx.paths), 'PG_VERSION');
    const binMajor = postgresBinDir()!.split('/').at(-2);
    if (existsSync(versionFile)) {
      const clusterMajor = readFileSync(versionFile, 'utf8').trim();
      if (clusterMajor !== binMajor) {
        throw new Error(`postgres: the cluster in ${clusterDir(ctx.paths)} is version ${clusterMajor} but the installed server is ${binMajor}`);
      }
      return;
    }
    // Trust on 127.0.0.1 and the socket, like the shared development stack: a local cluster
    // where tests create throwaway databases as the superuser.
    await runServerTool('initdb', ['-D', clusterDir(ctx.paths), '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C']);
    ctx.progress.step('postgres', `created a Postgres ${binMajor} cluster in ${clusterDir(ctx.paths)}`);
  },

  async start(ctx) {
    const { host, port } = postgresAddress(ctx.config);
    const options = `-p ${port} -k ${quote(socketDir(ctx.paths))} -c listen_addresses=${quote(host)}`;
    // -w: pg_ctl waits until the server accepts connections, and fails as soon as it exits.
    await runServerTool('pg_ctl', [
      '-D', clusterDir(ctx.paths), '-l', logFile(ctx.paths), '-o', options,
      '-w', '-t', String(START_TIMEOUT_MS / 1000), 'start',
    ]);
    await ensureRoleAndDatabase(ctx);
  },

  async probe(config: Config) {
    await withClient({ connectionString: config.database.postgresUrl }, (client) => client.query('SELECT 1'));
  },

  async ownedPid(ctx) {
    return postmasterPid(ctx.paths);
  },

  async stop(ctx) {
    if (postmasterPid(ctx.paths) === undefined) return;
    await runServerTool('pg_ctl', ['-D', clusterDir(ctx.paths), '-m', 'fast', '-w', '-t', '60', 'stop']);
  },
};
