// Redis from Debian's package, daemonized on the configured port with its data, pid file and
// log under the data directory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../../../core/config/load';
import { formatHostPort, redisAddress } from '../addresses';
import { livePid, run, stopProcess } from '../process';
import { ensureDebianPackages, redisServerBinary } from '../system-packages';
import type { Component, InfraPaths } from '../types';

const STOP_GRACE_MS = 15_000;

const dataDir = (paths: InfraPaths) => join(paths.dataDir, 'redis');
const pidFile = (paths: InfraPaths) => join(paths.runDir, 'redis.pid');
const logFile = (paths: InfraPaths) => join(paths.logDir, 'redis.log');

export const redisComponent: Component = {
  name: 'redis',

  address: (config) => formatHostPort(redisAddress(config)),

  logFile,

  async install(ctx) {
    await ensureDebianPackages(ctx.progress, 'redis');
  },

  async prepare(ctx) {
    await ensureDebianPackages(ctx.progress, 'redis');
    for (const dir of [dataDir(ctx.paths), ctx.paths.runDir, ctx.paths.logDir]) mkdirSync(dir, { recursive: true });
  },

  async start(ctx) {
    const binary = redisServerBinary();
    if (!binary) throw new Error('redis: redis-server not found (Debian package redis-server)');
    const { host, port } = redisAddress(ctx.config);
    // With --daemonize the command returns once the server has forked and written its pid file.
    await run(binary, [
      '--daemonize', 'yes',
      '--port', String(port),
      '--bind', host,
      '--dir', dataDir(ctx.paths),
      '--pidfile', pidFile(ctx.paths),
      '--logfile', logFile(ctx.paths),
    ]);
  },

  async probe(config: Config) {
    const client = new Redis(config.redis.url, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    // ioredis reports the cause (refused, timed out) as an event and rejects with a vaguer error.
    let cause: Error | undefined;
    client.on('error', (error: Error) => {
      cause ??= error;
    });
    try {
      await client.connect().catch((error: Error) => {
        throw cause ?? error;
      });
      const answer = await client.ping();
      if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
    } finally {
      client.disconnect();
    }
  },

  async ownedPid(ctx) {
    // The server's command line names its port, which tells it from a stale pid's new owner.
    return livePid(pidFile(ctx.paths), `:${redisAddress(ctx.config).port}`);
  },

  async stop(ctx) {
    const pid = await this.ownedPid(ctx);
    if (pid !== undefined) await stopProcess(pid, STOP_GRACE_MS, pidFile(ctx.paths));
  },
};
