// Temporal dev server with its Web UI, persisted to a SQLite file in the data directory, with
// the application's search attributes registered at launch.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import protos from '@temporalio/proto';
import type { Config } from '../../../core/config/load';
import { SEARCH_ATTRIBUTES } from '../../../workflows/definitions';
import { formatHostPort, temporalAddress } from '../addresses';
import { livePid, spawnDetached, stopProcess, tcpConnect } from '../process';
import type { Component, InfraPaths } from '../types';
import { ensureTemporalCli } from './temporal-build';

// A CommonJS module: its namespaces are reachable through the default export only.
const KEYWORD = protos.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const STOP_GRACE_MS = 20_000;

const dbFile = (paths: InfraPaths) => join(paths.dataDir, 'temporal', 'temporal.db');
const pidFile = (paths: InfraPaths) => join(paths.runDir, 'temporal.pid');

/** `KEYWORD` -> `Keyword`, the spelling of the dev server's --search-attribute flag. */
const flagType = (type: string) => type.charAt(0) + type.slice(1).toLowerCase();

async function withConnection<T>(config: Config, use: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '2s' });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

/** Search attributes the application needs that the server lacks (or has with another type). */
export async function missingSearchAttributes(config: Config): Promise<string[]> {
  const { customAttributes } = await withConnection(config, (connection) =>
    connection.operatorService.listSearchAttributes({ namespace: config.temporal.namespace }),
  );
  return SEARCH_ATTRIBUTES.filter((key) => customAttributes?.[key.name] !== KEYWORD).map((key) => key.name);
}

export const temporalComponent: Component = {
  name: 'temporal',

  address(config) {
    const address = temporalAddress(config);
    return `${formatHostPort(address)}, Web UI http://${address.host}:${address.uiPort}`;
  },

  logFile: (paths) => join(paths.logDir, 'temporal.log'),

  async install(ctx) {
    await ensureTemporalCli(ctx);
  },

  async prepare(ctx) {
    mkdirSync(join(ctx.paths.dataDir, 'temporal'), { recursive: true });
  },

  async start(ctx) {
    const binary = await ensureTemporalCli(ctx);
    const { host, port, uiPort } = temporalAddress(ctx.config);
    const args = [
      'server', 'start-dev',
      '--db-filename', dbFile(ctx.paths),
      '--ip', host,
      '--port', String(port),
      '--ui-port', String(uiPort),
      '--log-level', 'warn',
      ...SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${flagType(key.type)}`]),
      // "default" always exists; any other configured namespace is created at launch.
      ...(ctx.config.temporal.namespace === 'default' ? [] : ['--namespace', ctx.config.temporal.namespace]),
    ];
    spawnDetached(binary, args, { logFile: this.logFile(ctx.paths), pidFile: pidFile(ctx.paths) });
  },

  async afterReady(ctx, owned) {
    const missing = await missingSearchAttributes(ctx.config);
    if (missing.length === 0) return;
    const where = `namespace ${ctx.config.temporal.namespace}`;
    if (!owned) {
      ctx.progress.step('temporal', `warning: search attributes ${missing.join(', ')} are not registered as Keyword in ${where}`);
      return;
    }
    await withConnection(ctx.config, (connection) =>
      connection.operatorService.addSearchAttributes({
        namespace: ctx.config.temporal.namespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
      }),
    );
    const stillMissing = await missingSearchAttributes(ctx.config);
    if (stillMissing.length > 0) throw new Error(`temporal: could not register search attributes ${stillMissing.join(', ')} in ${where}`);
    ctx.progress.step('temporal', `registered search attributes ${missing.join(', ')} in ${where}`);
  },

  async probe(config) {
    const { host, port, uiPort } = temporalAddress(config);
    // gRPC keeps retrying a refused connection until its deadline; a plain connect fails at once.
    await tcpConnect(host, port);
    await withConnection(config, (connection) => connection.workflowService.getSystemInfo({}));
    const response = await fetch(`http://${host}:${uiPort}/`, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`Web UI on port ${uiPort} answered HTTP ${response.status}`);
  },

  async ownedPid(ctx) {
    return livePid(pidFile(ctx.paths), dbFile(ctx.paths));
  },

  async stop(ctx) {
    const pid = await this.ownedPid(ctx);
    if (pid !== undefined) await stopProcess(pid, STOP_GRACE_MS, pidFile(ctx.paths));
  },
};
