import type { ChainableCommander } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DeferredChanges, runnerDeferredKey, type DeferredView } from './deferred';

const FIELD = 'demo:738561';
const OTHER = 'demo:341249';
const key = (field: string) => runnerDeferredKey('paper', field);

const view = (n: number): DeferredView => ({
  tick: { id: `tick-${n}`, correlationId: `corr-${n}`, instrumentToken: 738_561, tradingsymbol: 'RELIANCE', lastPrice: 100_000 + n },
  view: { direction: n % 2 === 0 ? 'BUY' : 'SELL', reason: `view ${n}`, confidence: 0.5 },
});

/** Redis lists as a MULTI would leave them, with the commands the batch sent. */
function redisLists() {
  const lists = new Map<string, string[]>();
  const commands: string[] = [];
  const multi = {
    del(k: string) {
      commands.push(`del ${k}`);
      lists.delete(k);
      return multi;
    },
    ltrim(k: string, start: number, stop: number) {
      commands.push(`ltrim ${k} ${start} ${stop}`);
      lists.set(k, (lists.get(k) ?? []).slice(start, stop === -1 ? undefined : stop + 1));
      return multi;
    },
    rpush(k: string, ...values: string[]) {
      commands.push(`rpush ${k} x${values.length}`);
      lists.set(k, [...(lists.get(k) ?? []), ...values]);
      return multi;
    },
  };
  const read = (field: string) => (lists.get(key(field)) ?? []).map((text) => JSON.parse(text) as DeferredView);
  return { multi: multi as unknown as ChainableCommander, read, commands };
}

describe('views waiting for an outcome, in Redis lists', () => {
  const never = () => false;

  it('appends at the tail and decides from the head, writing only what changed', () => {
    const committed = new Map<string, readonly DeferredView[]>();
    const redis = redisLists();

    const first = new DeferredChanges('paper', committed, never);
    first.append(FIELD, view(1));
    first.append(FIELD, view(2));
    expect(first.of(FIELD)).toEqual([view(1), view(2)]);
    expect(committed.size).toBe(0); // nothing before commit: a retried batch starts from Redis
    first.persist(redis.multi);
    first.commit();
    expect(redis.read(FIELD)).toEqual([view(1), view(2)]);
    expect(committed.get(FIELD)).toEqual([view(1), view(2)]);

    redis.commands.length = 0;
    const second = new DeferredChanges('paper', committed, never);
    second.consume(FIELD, 1);
    second.append(FIELD, view(3));
    second.persist(redis.multi);
    second.commit();
    expect(redis.commands).toEqual([`ltrim ${key(FIELD)} 1 -1`, `rpush ${key(FIELD)} x1`]);
    expect(redis.read(FIELD)).toEqual([view(2), view(3)]);
    expect(committed.get(FIELD)).toEqual([view(2), view(3)]);
  });

  it('starts the list again once nothing committed survives, keeping only the new views left', () => {
    const committed = new Map<string, readonly DeferredView[]>([[FIELD, [view(1)]]]);
    const redis = redisLists();
    // A stale list this instance never loaded: it must not come back ahead of the new views.
    redis.multi.rpush(key(FIELD), JSON.stringify(view(0)), JSON.stringify(view(1)));
    redis.commands.length = 0;

    const batch = new DeferredChanges('paper', committed, never);
    batch.append(FIELD, view(2));
    batch.append(FIELD, view(3));
    batch.consume(FIELD, 2); // view 1, then view 2 from this batch
    expect(batch.of(FIELD)).toEqual([view(3)]);
    batch.persist(redis.multi);
    batch.commit();
    expect(redis.commands).toEqual([`del ${key(FIELD)}`, `rpush ${key(FIELD)} x1`]);
    expect(redis.read(FIELD)).toEqual([view(3)]);

    const release = new DeferredChanges('paper', committed, never);
    release.consume(FIELD, 1);
    release.persist(redis.multi);
    release.commit();
    expect(redis.read(FIELD)).toEqual([]);
    expect(committed.has(FIELD)).toBe(false);
  });

  it("drops a strategy's views when it starts afresh, touched or not", () => {
    const committed = new Map<string, readonly DeferredView[]>([
      [FIELD, [view(1)]],
      [OTHER, [view(2)]],
    ]);
    const redis = redisLists();
    const batch = new DeferredChanges('paper', committed, (field) => field.startsWith('demo:'));
    expect(batch.of(FIELD)).toEqual([]);
    batch.append(OTHER, view(3));
    expect(batch.of(OTHER)).toEqual([view(3)]);
    batch.persist(redis.multi);
    batch.commit();
    expect(redis.commands).toContain(`del ${key(FIELD)}`);
    expect(redis.read(OTHER)).toEqual([view(3)]);
    expect([...committed]).toEqual([[OTHER, [view(3)]]]);
  });
});
