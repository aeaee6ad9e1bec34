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
//     by its holder only). An instance keeps it from batch to batch, idle or not, while no other
//     instance asks for it, so a stage running alone pays nothing for it per batch (taking it
//     again after every quiet spell put a round trip in front of the first event after it, which
//     for the risk manager is most signals). Another instance asks through a `wanted` key: the
//     holder reads it with every batch's other reads, and every WAITER_POLL_MS while idle, and lets
//     go after the batch during which it saw it, or at once when idle; the waiter goes next: no
//     one else takes the lock while another instance's request stands;
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
//
// A turn without reads. Most turns of the runner are a tick or two that move strategy state and
// emit nothing; their reads (the lock's, the watermarks, the write-ahead claim) cost a round trip
// before the commit's. So the commits of a stage that offers such turns send, behind their EXEC
// and in the same write, the next turn's reads and a WATCH of the version and of the in-flight
// records. The next turn may then skip its reads (processOnce decides which may: no context, no
// per-id marks, every event past the watermark it last committed) when those reads showed this instance
// holding the lock, no other instance asking for it, the version its own commit wrote, and no
// batch in flight. A turn that has outputs writes its record ahead in a MULTI of its own under
// that WATCH (writeAhead), then watches the version for its commit. Whatever changes the version
// or writes a record after that WATCH (an instance that took the lock after a lost lease, a
// zombie's claim) aborts the turn's next EXEC: the turn is retried with its reads.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChainableCommander, Redis } from 'ioredis';
import { duplicateRedis } from '../redis/client';
import { namespacedKey, type KeyNamespace } from '../redis/keys';
import { inFlightKey } from './batch-claim';
import { Serial, type CriticalSection } from './serial';

/** How long a lock outlives a holder that stopped renewing it (a killed process). */
export const STAGE_LOCK_LEASE_MS = 10_000;
const RENEW_EVERY_MS = STAGE_LOCK_LEASE_MS / 4;
const MAX_WAIT_STEP_MS = 20;
/** How often an idle holder looks whether another instance asks for the lock. */
const WAITER_POLL_MS = 50;
/** How long a waiter's request stands without being repeated. */
const WANTED_FOR_MS = 1_000;
/**
 * A turn still running after this long is taken for hung (every I/O call of a batch has a
 * timeout well below it): its lease is no longer renewed, so another instance gets the lock
 * once the lease runs out, and the hung turn's commit, if it ever comes, is fenced.
 */
export const MAX_RENEWED_TURN_MS = 60_000;

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/**
 * Takes the lock unless another instance asked for it first (KEYS[2], the waiter's token): an
 * instance that just let go for a waiter must not take it straight back. A request of the taker's
 * own is answered in the same step, so its first batch does not read it as another's.
 */
const ACQUIRE = `local wanted = redis.call('get', KEYS[2])
if wanted and wanted ~= ARGV[1] then return false end
local taken = redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')
if taken and wanted then redis.call('del', KEYS[2]) end
return taken`;
/** Asks for the lock: the first waiter's request stands (renewed by it) until it has the lock. */
const ASK = `local wanted = redis.call('get', KEYS[1])
if (not wanted) or wanted == ARGV[1] then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

export const stageLockKey = (namespace: KeyNamespace, stage: string) => namespacedKey(namespace, 'stage-lock', stage);
export const stageVersionKey = (namespace: KeyNamespace, stage: string) => namespacedKey(namespace, 'stage-version', stage);
const stageWantedKey = (namespace: KeyNamespace, stage: string) => namespacedKey(namespace, 'stage-lock-wanted', stage);

export interface StageLockOptions {
  redis: Redis;
  namespace: KeyNamespace;
  stage: string;
  /** Replaces the stage's in-memory committed state with what Redis holds. */
  reload: () => Promise<void>;
  /** MAX_RENEWED_TURN_MS unless given (tests shorten it). */
  maxRenewedTurnMs?: number;
}

/** What a run's commit did. */
interface Turn {
  /** EXEC was sent, which ends the WATCH whatever its outcome. */
  executed?: boolean;
  /** The version the commit wrote, once it executed. */
  committed?: string;
  /** The commit did not execute: another instance committed since the version was read. */
  fenced?: boolean;
}

/** What a commit's round trip read for the next turn, behind its EXEC. */
interface NextTurnReads {
  version: string | null;
  holder: string | null;
  wanted: number;
  inFlight: number;
}

export class StageLock implements CriticalSection {
  private readonly local = new Serial();
  private readonly lockKey: string;
  private readonly versionKey: string;
  private readonly wantedKey: string;
  private readonly inFlightKey: string;
  private watching?: Redis;
  /** Sent with the last commit (see the header); undefined once a turn started after it. */
  private nextTurn?: Promise<NextTurnReads | undefined>;
  readonly watermarks = new Map<string, bigint>();
  /** Whether a turn without reads was ever offered: only then do commits read for the next turn. */
  private offersTurnsWithoutReads = false;
  /** The version this instance's memory holds; undefined until loaded through the lock. */
  private known: string | null | undefined;
  /** Set while a run holds the lock: the version its commit wrote, once that commit executed. */
  private current?: Turn;
  /** The lock while this instance holds it, between runs too. */
  private held?: { token: string; renewal: NodeJS.Timeout };
  private idle?: NodeJS.Timeout;
  /** Bumped whenever the idle watch is stopped, so that a look already under way ends with it. */
  private idleWatch = 0;
  /** When the run in progress started; undefined between runs. */
  private turnStartedAt?: number;

  constructor(private readonly options: StageLockOptions) {
    this.lockKey = stageLockKey(options.namespace, options.stage);
    this.versionKey = stageVersionKey(options.namespace, options.stage);
    this.wantedKey = stageWantedKey(options.namespace, options.stage);
    this.inFlightKey = inFlightKey(options.namespace, options.stage);
  }

  /**
   * Runs `work` holding the stage's lock, with the in-memory state current; `work` commits through
   * multi(). `prefetch` (reads that do not depend on the in-memory state) is sent in the same
   * round trip as the lock's own reads, and again after a reload.
   */
  run<T, R = undefined>(work: (prefetched: R) => Promise<T>, prefetch?: () => Promise<R>, withoutReads?: () => Promise<T | undefined>): Promise<T> {
    return this.local.run(async () => {
      this.stopIdleWatch();
      this.turnStartedAt = Date.now();
      const connection = this.connection();
      if (withoutReads) this.offersTurnsWithoutReads = true;
      const unread = withoutReads !== undefined && (await this.mayTurnWithoutReads());
      this.nextTurn = undefined;
      let held = this.held ?? (await this.acquire());
      let letGo = false;
      try {
        if (unread) {
          const current: Turn = {};
          this.current = current;
          const result = await withoutReads();
          if (current.executed) {
            this.known = current.committed;
            if (current.fenced) letGo = true;
          }
          if (result !== undefined) return result;
          // Declined (an event at or below the watermark known): the turn runs with its reads.
        }
        // Sent together, in this order, on the lock's connection: the version read is watched
        // (alone: the WATCH a commit left on the in-flight records would fence this turn's claim).
        const read = () =>
          Promise.all([
            connection.unwatch(),
            connection.watch(this.versionKey),
            connection.get(this.versionKey),
            connection.get(this.lockKey),
            connection.exists(this.wantedKey),
            prefetch?.() as Promise<R>,
          ]);
        let [, , version, holder, wanted, prefetched] = await read();
        if (holder !== held.token) {
          // The lease ran out between two batches (a long pause): take the lock again.
          this.forget(held);
          await connection.unwatch();
          held = await this.acquire();
          [, , version, holder, wanted, prefetched] = await read();
        }
        letGo = wanted > 0;
        if (version !== this.known) {
          this.known = undefined;
          this.watermarks.clear();
          await this.options.reload();
          this.known = version;
          // Read again: what was read beside the version may predate the commit that moved it.
          if (prefetch) prefetched = await prefetch();
        }
        const current: Turn = {};
        this.current = current;
        const result = await work(prefetched);
        // A fenced commit means another instance committed: the version differs next time, so
        // the state is reloaded then.
        this.known = current.committed ?? version;
        if (current.fenced) letGo = true;
        return result;
      } catch (error) {
        // Whatever the memory holds now, the next run starts from Redis.
        this.known = undefined;
        this.watermarks.clear();
        this.nextTurn = undefined;
        letGo = true;
        throw error;
      } finally {
        this.turnStartedAt = undefined;
        const executed = this.current?.executed === true;
        this.current = undefined;
        if (!executed) await connection.unwatch().catch(() => undefined);
        const holding = held;
        if (letGo || this.held !== holding) void this.release(holding);
        else this.watchForWaiters(holding, this.idleWatch);
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
        current.executed = true;
        const executing = exec();
        const nextTurn = this.offersTurnsWithoutReads ? this.readForNextTurn() : undefined;
        const results = await executing;
        const [bump] = results ?? [];
        if (results && bump && !results.some(([error]) => error)) {
          current.committed = String(bump[1]);
          this.nextTurn = nextTurn;
        }
        // Fenced: another instance committed, so it held the lock; this one lets go of its belief.
        if (!results) current.fenced = true;
        return results;
      },
    });
  }

  /**
   * Issued right behind a commit's EXEC, on the same connection (EXEC ends every WATCH, so this
   * one watches from the commit on). ioredis writes the MULTI at once and these after it.
   */
  private readForNextTurn(): Promise<NextTurnReads | undefined> {
    const connection = this.connection();
    return Promise.all([
      connection.watch(this.versionKey, this.inFlightKey),
      connection.get(this.versionKey),
      connection.get(this.lockKey),
      connection.exists(this.wantedKey),
      connection.hlen(this.inFlightKey),
    ]).then(
      ([, version, holder, wanted, inFlight]) => ({ version, holder, wanted, inFlight }),
      () => undefined,
    );
  }

  /**
   * Inside a turn without reads: the batch's record, written in a MULTI that the WATCH left by
   * the last commit fences; the version is watched again behind it, for the turn's commit.
   */
  async writeAhead(batchId: string, record: string): Promise<void> {
    const connection = this.connection();
    const written = connection.multi().hset(this.inFlightKey, batchId, record).exec();
    const watched = Promise.all([connection.watch(this.versionKey), connection.get(this.versionKey)]);
    const [results, [, version]] = await Promise.all([written, watched]);
    if (!results || results.some(([error]) => error) || version !== this.known) {
      throw new Error(`${this.options.stage}: another instance of the stage committed since this one's last commit; the batch is computed again`);
    }
  }

  /** Whether the last commit's reads let this turn go without its own (see the header). */
  private async mayTurnWithoutReads(): Promise<boolean> {
    const reads = await this.nextTurn;
    const held = this.held;
    return reads !== undefined && held !== undefined && reads.version === this.known && reads.holder === held.token && reads.wanted === 0 && reads.inFlight === 0;
  }

  async close(): Promise<void> {
    this.stopIdleWatch();
    await this.local.run(async () => {
      if (this.held) await this.release(this.held);
    });
    await this.watching?.quit().catch(() => undefined);
    this.watching = undefined;
  }

  /** WATCH belongs to a connection: one of the lock's own, used by nothing else. */
  private connection(): Redis {
    this.watching ??= duplicateRedis(this.options.redis);
    return this.watching;
  }

  private async acquire(): Promise<NonNullable<StageLock['held']>> {
    const token = randomUUID();
    for (let wait = 1; ; wait = Math.min(wait * 2, MAX_WAIT_STEP_MS)) {
      if ((await this.options.redis.eval(ACQUIRE, 2, this.lockKey, this.wantedKey, token, STAGE_LOCK_LEASE_MS)) === 'OK') break;
      await this.options.redis.eval(ASK, 1, this.wantedKey, token, WANTED_FOR_MS);
      await sleep(wait);
    }
    const held = {
      token,
      renewal: setInterval(() => {
        const turnMs = this.turnStartedAt === undefined ? 0 : Date.now() - this.turnStartedAt;
        if (turnMs > (this.options.maxRenewedTurnMs ?? MAX_RENEWED_TURN_MS)) return;
        this.options.redis
          .eval(RENEW, 1, this.lockKey, token, STAGE_LOCK_LEASE_MS)
          .then((renewed) => {
            // Lost (the lease ran out meanwhile): the next run acquires it again.
            if (renewed === 0 && this.held === held) this.forget(held);
          })
          .catch(() => undefined);
      }, RENEW_EVERY_MS),
    };
    held.renewal.unref();
    this.held = held;
    return held;
  }

  /** Between runs: lets the lock go as soon as another instance asks for it. */
  private watchForWaiters(holding: NonNullable<StageLock['held']>, watch: number): void {
    const current = () => watch === this.idleWatch && this.held === holding;
    this.idle = setTimeout(async () => {
      const wanted = await this.options.redis.exists(this.wantedKey).catch(() => 0);
      if (!current()) return;
      if (wanted > 0) void this.local.run(async () => (this.held === holding ? this.release(holding) : undefined));
      else this.watchForWaiters(holding, watch);
    }, WAITER_POLL_MS);
    this.idle.unref();
  }

  private stopIdleWatch(): void {
    clearTimeout(this.idle);
    this.idleWatch++;
  }

  private forget(held: NonNullable<StageLock['held']>): void {
    clearInterval(held.renewal);
    if (this.held === held) this.held = undefined;
  }

  private async release(held: NonNullable<StageLock['held']>): Promise<void> {
    this.forget(held);
    await this.options.redis.eval(RELEASE, 1, this.lockKey, held.token).catch(() => undefined);
  }
}
