// The stage lock on the real Redis: instances of a stage take turns, an instance reloads the state
// when another committed since its last turn, and a commit made after the lock was lost (a
// holder paused past its lease) does not execute once another instance has committed.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageLock, stageLockKey } from '../core/pipeline/stage-lock';
import { claimRedisDatabase } from './support/stack';

describe('stage lock', () => {
  let database: Awaited<ReturnType<typeof claimRedisDatabase>>;
  let redis: Redis;
  const locks: StageLock[] = [];
  beforeAll(async () => {
    database = await claimRedisDatabase();
    redis = new Redis(database.url);
  });
  afterAll(async () => {
    for (const lock of locks) await lock.close();
    redis?.disconnect();
    await database?.release();
  });

  /** One instance of a stage whose state is a counter in Redis, loaded into `memory`. */
  const instance = (stage: string, maxRenewedTurnMs?: number) => {
    const self = { memory: 0, reloads: 0, lock: undefined as unknown as StageLock };
    self.lock = new StageLock({
      redis,
      namespace: 'paper',
      stage,
      maxRenewedTurnMs,
      reload: async () => {
        self.reloads += 1;
        self.memory = Number((await redis.get(`paper:${stage}:counter`)) ?? 0);
      },
    });
    locks.push(self.lock);
    return self;
  };
  const increment = (self: ReturnType<typeof instance>, stage: string) =>
    self.lock.run(async () => {
      const next = self.memory + 1;
      const results = await self.lock.multi().set(`paper:${stage}:counter`, String(next)).exec();
      if (!results) throw new Error('fenced');
      self.memory = next;
    });

  it('takes turns and reloads what the other instance committed: no increment lost', async () => {
    const [a, b] = [instance('turns'), instance('turns')];
    await Promise.all(Array.from({ length: 40 }, (_, i) => increment(i % 2 === 0 ? a : b, 'turns')));
    expect(Number(await redis.get('paper:turns:counter'))).toBe(40);
    // Which instance gets each turn above is up to the scheduler; in a set order, a turn after the
    // other instance's commit reloads, and a second turn in a row on one instance does not.
    await increment(b, 'turns');
    const before = a.reloads;
    await increment(a, 'turns');
    await increment(a, 'turns');
    expect(a.reloads).toBe(before + 1);
    expect(Number(await redis.get('paper:turns:counter'))).toBe(43);
  });

  it('does not execute the commit of an instance that lost the lock to one that committed', async () => {
    const [stale, other] = [instance('fence'), instance('fence')];
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const staleRun = stale.lock.run(async () => {
      entered();
      await paused; // a pause past the lease
      return stale.lock.multi().set('paper:fence:counter', 'stale').exec();
    });
    await inside;
    await redis.del(stageLockKey('paper', 'fence')); // the lease ran out
    await increment(other, 'fence');
    resume();
    expect(await staleRun).toBeNull();
    expect(await redis.get('paper:fence:counter')).toBe('1');
    // Its next turn starts from what the other instance committed.
    await increment(stale, 'fence');
    expect(await redis.get('paper:fence:counter')).toBe('2');
  });

  it('keeps the lock from batch to batch and through quiet spells while alone, and lets go when another instance waits', async () => {
    const [a, b] = [instance('lease'), instance('lease')];
    const holder = () => redis.get(stageLockKey('paper', 'lease'));
    await increment(a, 'lease');
    const token = await holder();
    expect(token).not.toBeNull();
    await increment(a, 'lease');
    expect(await holder()).toBe(token); // no new acquisition per batch
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await holder()).toBe(token); // idle and alone: kept, so the next batch does not take it again
    await increment(a, 'lease');
    expect(await holder()).toBe(token);
    // An idle holder lets go when another instance asks (b would wait forever otherwise: the
    // holder renews its lease), and the other instance starts from what the holder committed.
    await increment(b, 'lease');
    expect(await holder()).not.toBe(token);
    expect(b.memory).toBe(4);
    await increment(a, 'lease'); // and hands it back, idle in turn, when asked
    expect(a.memory).toBe(5);
    // A busy holder hands over after the batch in which it sees the other instance waiting, and
    // the waiter goes first: not only once the holder has run out of work.
    const finished: string[] = [];
    const busy = Array.from({ length: 30 }, () => increment(a, 'lease').then(() => finished.push('a')));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const waiting = increment(b, 'lease').then(() => finished.push('b'));
    await Promise.all([...busy, waiting]);
    expect(Number(await redis.get('paper:lease:counter'))).toBe(36);
    expect(b.reloads).toBe(2);
    expect(finished.indexOf('b')).toBeLessThan(finished.length - 5);
  });

  it('stops renewing the lease of a hung turn: another instance gets the lock, and the hung commit is fenced', { timeout: 40_000 }, async () => {
    const [hung, other] = [instance('hung', 500), instance('hung')];
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const hungTurn = hung.lock.run(async () => {
      entered();
      await stuck; // a batch whose I/O never answers
      return hung.lock.multi().set('paper:hung:counter', 'from the hung turn').exec();
    });
    await inside;
    // Past the lease (renewed for the first 500 ms only), the other instance takes its turn.
    await increment(other, 'hung');
    expect(await redis.get('paper:hung:counter')).toBe('1');
    release();
    expect(await hungTurn).toBeNull();
    expect(await redis.get('paper:hung:counter')).toBe('1');
  });
});
