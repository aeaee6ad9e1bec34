// Redis from Debian's package, daemonized on the configured port with its data, pid file and
// log under the data directory.
//
// Redis holds stage state, processed marks and offset watermarks, committed before the Kafka
// offsets move on, so it must not forget a write it acknowledged. It runs with the append-only
// file and `appendfsync always`: the AOF is written and fdatasync'ed before the reply goes out, so
// an acknowledged MULTI survives a kill of the process and a power loss. `everysec` would not be
// enough even against a kill: while a background fsync is slow, Redis postpones the AOF write by
// up to two seconds and still replies. Writes are fsync'ed once per event-loop turn, not per
// command, which keeps the cost to one fsync per batch of concurrent commits.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../../../core/config/load';
import { formatHostPort, redisAddress } from '../addresses';
import { livePid, run, stopProcess } from '../process';
import { ensureDebianPackages, redisServerBinary } from '../system-packages';
import type { Component, InfraPaths } from '../types';

const STOP_GRACE_MS = 15_000;
const PID_FILE_TIMEOUT_MS = 10_000;

const dataDir = (paths: InfraPaths) => join(paths.dataDir, 'redis');
const pidFile = (paths: InfraPaths) => join(paths.runDir, 'redis.pid');
const logFile = (paths: InfraPaths) => join(paths.logDir, 'redis.log');

const APPEND_FSYNC = 'always';
/** Persistence settings, shared with docker-compose.yml and the durability test. */
export const REDIS_DURABILITY_ARGS = ['--appendonly', 'yes', '--appendfsync', APPEND_FSYNC] as const;

export interface RedisServerOptions {
  host: string;
  port: number;
  dir: string;
  pidFile?: string;
  logFile?: string;
  daemonize?: boolean;
  /** False only to load a data dir written without the AOF (see writtenWithoutAof). */
  appendOnly?: boolean;
}

/** The redis-server command line `infra up` runs (tests start their own server with it). */
export function redisServerArgs(options: RedisServerOptions): string[] {
  return [
    '--daemonize', options.daemonize === false ? 'no' : 'yes',
    '--port', String(options.port),
    '--bind', options.host,
    '--dir', options.dir,
    ...(options.pidFile ? ['--pidfile', options.pidFile] : []),
    ...(options.logFile ? ['--logfile', options.logFile] : []),
    ...REDIS_DURABILITY_ARGS,
    ...(options.appendOnly === false ? ['--appendonly', 'no'] : []),
  ];
}

/**
 * A data dir from before the AOF: a dump.rdb and no AOF directory. Started with
 * `--appendonly yes`, Redis 7 would ignore the dump and come up empty, so such a dir is loaded
 * without the AOF and switched to it at runtime (enableAppendOnly).
 */
export function writtenWithoutAof(dir: string): boolean {
  return existsSync(join(dir, 'dump.rdb')) && !existsSync(join(dir, 'appendonlydir'));
}

const persistenceInfo = async (redis: Redis) =>
  new Map(
    (await redis.info('persistence'))
      .split(/\r?\n/)
      .filter((line) => line.includes(':'))
      .map((line) => line.split(':', 2) as [string, string]),
  );

/**
 * Switches a running server to the AOF with the project's fsync policy; when it was off, waits
 * until Redis has rewritten the AOF from the data in memory. True when it switched it on.
 */
export async function enableAppendOnly(redis: Redis, timeoutMs = 120_000): Promise<boolean> {
  const [, appendOnly] = (await redis.config('GET', 'appendonly')) as string[];
  await redis.config('SET', 'appendfsync', APPEND_FSYNC);
  if (appendOnly === 'yes') return false;
  await redis.config('SET', 'appendonly', 'yes');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await persistenceInfo(redis);
    if (info.get('aof_rewrite_in_progress') === '0' && info.get('aof_rewrite_scheduled') === '0') {
      if (info.get('aof_last_bgrewrite_status') !== 'ok') throw new Error('redis: writing the append-only file failed; see its log');
      return true;
    }
    if (Date.now() > deadline) throw new Error('redis: the append-only file was not written in time; see its log');
    await sleep(100);
  }
}

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
    // With --daemonize the command returns once the server has forked, but the child writes its
    // pid file a moment later; the readiness check reads that file to tell whether the server
    // died, so a stale file (or none yet) must not be taken for a dead server.
    const dir = dataDir(ctx.paths);
    rmSync(pidFile(ctx.paths), { force: true });
    await run(
      binary,
      redisServerArgs({ host, port, dir, pidFile: pidFile(ctx.paths), logFile: logFile(ctx.paths), appendOnly: !writtenWithoutAof(dir) }),
    );
    const deadline = Date.now() + PID_FILE_TIMEOUT_MS;
    while ((await this.ownedPid(ctx)) === undefined) {
      if (Date.now() > deadline) throw new Error(`redis-server wrote no pid file within ${PID_FILE_TIMEOUT_MS / 1000}s`);
      await sleep(50);
    }
  },

  async afterReady(ctx, owned) {
    // A server another tool started keeps its own settings; ours gets the AOF even when it was
    // started before the AOF was the rule (it is switched on live, without a restart).
    if (!owned) return;
    const redis = new Redis(ctx.config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => undefined); // reported by the command that fails
    try {
      await redis.connect();
      if (await enableAppendOnly(redis)) ctx.progress.step('redis', 'append-only file switched on, written from the data in memory');
    } finally {
      redis.disconnect();
    }
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
