// Redis as durable state: a stage commit Redis acknowledged survives a SIGKILL of the server.
// The test runs its own Redis through the infra component (a free port, a temporary data dir), so
// it gets exactly the settings `infra up` uses and the shared Redis on 6379 is never touched.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createEvent } from '../core/domain/events';
import { makeSignal } from '../core/domain/trading/testing';
import type { ConsumedEvent } from '../core/kafka/consumer';
import { processOnce } from '../core/pipeline/process-once';
import { dedupKey } from '../core/redis/dedup';
import { redisComponent } from '../scripts/infra/components/redis';
import { redisServerBinary } from '../scripts/infra/system-packages';
import type { InfraContext } from '../scripts/infra/types';
import { testConfig } from './support/stack';

const roots: string[] = [];
const contexts: InfraContext[] = [];
const steps: string[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function makeContext(): Promise<InfraContext> {
  const root = mkdtempSync(join(tmpdir(), 'alpha-panda-redis-durability-'));
  roots.push(root);
  const config = testConfig({ REDIS__URL: `redis://127.0.0.1:${await freePort()}/0`, INFRA__DATA_DIR: root });
  const progress = { step: (_: string, message: string) => void steps.push(message), live() {}, done() {}, close() {}, elapsed: () => '0s' };
  const ctx: InfraContext = { config, progress, paths: { dataDir: root, cacheDir: join(root, 'cache'), logDir: join(root, 'logs'), runDir: join(root, 'run') } };
  contexts.push(ctx);
  return ctx;
}

/** What `infra up` does for Redis: prepare, start, wait until it answers, afterReady. */
async function up(ctx: InfraContext): Promise<Redis> {
  await redisComponent.prepare(ctx);
  await redisComponent.start(ctx);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await redisComponent.probe(ctx.config); // fails while the server is still loading its AOF
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await redisComponent.afterReady!(ctx, true);
  return new Redis(ctx.config.redis.url);
}

/** SIGKILL: no shutdown, no final snapshot. */
async function kill(ctx: InfraContext): Promise<void> {
  const pid = await redisComponent.ownedPid(ctx);
  if (pid === undefined) throw new Error('the test Redis is not running');
  process.kill(pid, 'SIGKILL');
  while ((await redisComponent.ownedPid(ctx)) !== undefined) await new Promise((resolve) => setTimeout(resolve, 50));
}

afterAll(async () => {
  for (const ctx of contexts) await redisComponent.stop(ctx).catch(() => undefined);
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const stage = 'durability-it';
const stateKey = `paper:${stage}:state`;
const signals = (offsets: number[]): ConsumedEvent<'signal_generated'>[] =>
  offsets.map((offset) => ({
    envelope: createEvent({ type: 'signal_generated', source: 'it', namespace: 'paper', data: makeSignal({ quantity: offset }) }),
    topic: 'paper.signals.raw',
    partition: 0,
    offset: String(offset),
    key: 'k',
  }));

/** A stage commit: state, watermark and processed marks in one MULTI. */
const commit = (redis: Redis, events: ConsumedEvent<'signal_generated'>[], state: string) =>
  processOnce({
    redis,
    namespace: 'paper',
    stage,
    producer: { sendBatch: async () => [] },
    events,
    apply: () => ({ outputs: [], persist: (multi) => void multi.set(stateKey, state) }),
  });

async function expectCommitted(redis: Redis, events: ConsumedEvent<'signal_generated'>[], state: string): Promise<void> {
  expect(await redis.get(stateKey)).toBe(state);
  for (const event of events) expect(await redis.ttl(dedupKey('paper', stage, event.envelope.id))).toBeGreaterThan(0);
  // The stage, restarted on the recovered Redis, sees the batch as already processed.
  expect(await commit(redis, events, 'must not be written')).toEqual({ fresh: 0, skipped: events.length });
}

describe('Redis persistence', () => {
  it('keeps an acknowledged stage commit across a SIGKILL of the server', async () => {
    const ctx = await makeContext();
    const events = signals([40, 41, 42]);
    const first = await up(ctx);
    expect(await commit(first, events, '{"cash":1234567}')).toEqual({ fresh: 3, skipped: 0 });
    first.disconnect();
    await kill(ctx); // right after the acknowledgement

    const second = await up(ctx);
    try {
      await expectCommitted(second, events, '{"cash":1234567}');
    } finally {
      second.disconnect();
    }
  });

  it('switches a data dir written without the AOF to it, keeping its data', async () => {
    const ctx = await makeContext();
    const dir = join(ctx.paths.dataDir, 'redis');
    mkdirSync(dir, { recursive: true });
    // A server as `infra up` ran it before: snapshots only; a clean shutdown writes dump.rdb.
    const { port } = new URL(ctx.config.redis.url);
    const old = spawn(redisServerBinary()!, ['--port', port, '--bind', '127.0.0.1', '--dir', dir], { stdio: 'ignore' });
    const exited = new Promise((resolve) => old.once('exit', resolve));
    const before = new Redis(ctx.config.redis.url, { retryStrategy: () => 100 });
    before.on('error', () => undefined); // refused until the old server listens
    const earlier = signals([7]);
    expect(await commit(before, earlier, 'before')).toEqual({ fresh: 1, skipped: 0 });
    await before.shutdown('SAVE').catch(() => undefined); // the connection closes as it answers
    before.disconnect();
    await exited;

    const migrated = await up(ctx);
    expect(steps).toContain('append-only file switched on, written from the data in memory');
    expect(await migrated.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    const later = signals([8, 9]);
    try {
      expect(await migrated.get(stateKey)).toBe('before');
      expect(await commit(migrated, later, 'after')).toEqual({ fresh: 2, skipped: 0 });
    } finally {
      migrated.disconnect();
    }
    await kill(ctx);

    const restarted = await up(ctx);
    try {
      await expectCommitted(restarted, later, 'after');
      expect(await restarted.ttl(dedupKey('paper', stage, earlier[0]!.envelope.id))).toBeGreaterThan(0);
    } finally {
      restarted.disconnect();
    }
  });
});
