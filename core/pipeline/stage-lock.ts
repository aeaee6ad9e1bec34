// The critical section of a stage shared by all its instances (INSTANCES__<STAGE>, each in its own
// worker process or machine, one consumer group between them).
//
// A stage's state is not split by partition: the trading engine's broker state, the risk
// manager's counts, the runner's strategies and the portfolio books each cover every instrument
// and strategy, while their inputs are keyed differently (ticks by instrument, signals and fills
// by strategy and instrument), so one instance's batches change state that the other instance's
// batches read. Each instance keeps the committed state in memory. So that two instances never
// compute from a state the other has moved on from:
//   - one batch at a time across instances: a Redis lock (SET NX PX, renewed while held, released
//     by its holder only);
//   - a version counter bumped in every commit: an instance that finds another version than the
//     one it last committed reloads the state from Redis before it computes;
//   - the fence: the version is WATCHed (on a connection of the lock's own) from the moment it is
//     read, so if the lock was lost meanwhile (a holder paused past the lease, a network split)
//     and another instance committed, this instance's MULTI does not execute and the batch is
//     retried from the new state. The per-partition watermark alone cannot fence: it is read
//     before the commit and the commit does not depend on it, and a partition that moved may have
//     been read by the old owner before the new owner committed it.
// What a fenced batch had already produced goes out again with the same ids; the next stage's
// dedup keeps the first copy.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChainableCommander, Redis } from 'ioredis';
import { namespacedKey, type KeyNamespace } from '../redis/keys';
import { Serial } from './serial';

/** How long a lock outlives a holder that stopped renewing it (a killed process). */
export const STAGE_LOCK_LEASE_MS = 10_000;
const RENEW_EVERY_MS = STAGE_LOCK_LEASE_MS / 4;
const MAX_WAIT_STEP_MS = 20;

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export const stageLockKey = (namespace: KeyNamespace, stage: string) => namespacedKey(namespace, 'stage-lock', stage);
export const stageVersionKey = (namespace: KeyNamespace, stage: string) => namespacedKey(namespace, 'stage-version', stage);

export interface StageLockOptions {
  redis: Redis;
  namespace: KeyNamespace;
  stage: string;
  /** Replaces the stage's in-memory committed state with what Redis holds. */
  reload: () => Promise<void>;
}

export class StageLock {
  private readonly local = new Serial();
  private readonly lockKey: string;
  private readonly versionKey: string;
  private watching?: Redis;
  /** The version this instance's memory holds; undefined until loaded through the lock. */
  private known: string | null | undefined;
  /** Set while a run holds the lock: the version its commit wrote, once that commit executed. */
  private current?: { committed?: string };

  constructor(private readonly options: StageLockOptions) {
    this.lockKey = stageLockKey(options.namespace, options.stage);
    this.versionKey = stageVersionKey(options.namespace, options.stage);
  }

  /** Runs `work` holding the stage's lock, with the in-memory state current; `work` commits through multi(). */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.local.run(async () => {
      const token = randomUUID();
      await this.acquire(token);
      const renewal = setInterval(() => {
        this.options.redis.eval(RENEW, 1, this.lockKey, token, STAGE_LOCK_LEASE_MS).catch(() => undefined);
      }, RENEW_EVERY_MS);
      const connection = this.connection();
      try {
        await connection.watch(this.versionKey);
        const version = await connection.get(this.versionKey);
        if (version !== this.known) {
          this.known = undefined;
          await this.options.reload();
          this.known = version;
        }
        const current: { committed?: string } = {};
        this.current = current;
        const result = await work();
        // A fenced commit means another instance committed: the version differs next time, so
        // the state is reloaded then.
        this.known = current.committed ?? version;
        return result;
      } catch (error) {
        // Whatever the memory holds now, the next run starts from Redis.
        this.known = undefined;
        throw error;
      } finally {
        this.current = undefined;
        clearInterval(renewal);
        await connection.unwatch().catch(() => undefined);
        await this.options.redis.eval(RELEASE, 1, this.lockKey, token).catch(() => undefined);
      }
    });
  }

  /** Inside run(): a MULTI that executes only if no other instance committed since the state was read. */
  multi(): ChainableCommander {
    const current = this.current;
    if (!current) throw new Error(`${this.options.stage}: a commit outside the stage lock`);
    const multi = this.connection().multi().incr(this.versionKey);
    const exec = multi.exec.bind(multi);
    return Object.assign(multi, {
      exec: async () => {
        const results = await exec();
        const [bump] = results ?? [];
        if (results && bump && !results.some(([error]) => error)) current.committed = String(bump[1]);
        return results;
      },
    });
  }

  async close(): Promise<void> {
    await this.watching?.quit().catch(() => undefined);
    this.watching = undefined;
  }

  /** WATCH belongs to a connection: one of the lock's own, used by nothing else. */
  private connection(): Redis {
    this.watching ??= this.options.redis.duplicate();
    return this.watching;
  }

  private async acquire(token: string): Promise<void> {
    for (let wait = 1; ; wait = Math.min(wait * 2, MAX_WAIT_STEP_MS)) {
      if ((await this.options.redis.set(this.lockKey, token, 'PX', STAGE_LOCK_LEASE_MS, 'NX')) === 'OK') return;
      await sleep(wait);
    }
  }
}
