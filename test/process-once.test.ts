// processOnce on real Redis: what it skips, what it processes, and that marks and state commit together.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type EventType } from '../core/domain/events';
import { derivedEventId } from '../core/domain/ids';
import type { ConsumedEvent } from '../core/kafka/consumer';
import type { EventMessage } from '../core/kafka/producer';
import { getValue, hmgetValues, type BatchContext } from '../core/pipeline/batch-claim';
import { processOnce } from '../core/pipeline/process-once';
import type { CriticalSection } from '../core/pipeline/serial';
import { makeSignal, makeTick } from '../core/domain/trading/testing';
import { recordingProducer } from './support/producer';
import { claimRedisDatabase } from './support/stack';

describe('processOnce', () => {
  let redis: Redis;
  let release: () => Promise<void>;
  const { producer } = recordingProducer();

  beforeAll(async () => {
    const claimed = await claimRedisDatabase();
    release = claimed.release;
    redis = new Redis(claimed.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await release();
  });

  const consumed = <T extends EventType>(envelope: ConsumedEvent<T>['envelope'], topic: string, offset: number): ConsumedEvent<T> => ({
    envelope,
    topic,
    partition: 0,
    offset: String(offset),
    key: null,
  });

  /** A stage that counts what it applies and persists the count with the marks. */
  const run = async (stage: string, events: ConsumedEvent[]) => {
    const applied: string[] = [];
    const result = await processOnce({
      redis,
      namespace: 'paper',
      stage,
      producer,
      events,
      apply: (fresh) => {
        applied.push(...fresh.map((event) => event.envelope.id));
        return { outputs: [], persist: (multi) => void multi.incrby(`paper:test:${stage}:count`, fresh.length) };
      },
    });
    return { ...result, applied };
  };

  it('skips a redelivered tick by its offset watermark, and keeps no per-tick key', async () => {
    const ticks = [1, 2, 3].map(() => createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000) }));
    const batch = ticks.map((tick, index) => consumed(tick, 'market.ticks', 10 + index));
    expect((await run('ticks', batch)).fresh).toBe(3);
    const again = await run('ticks', batch);
    expect(again).toMatchObject({ fresh: 0, skipped: 3, applied: [] });
    expect(await redis.get('paper:test:ticks:count')).toBe('3');
    expect(await redis.keys('paper:dedup:ticks:*')).toEqual([]);
    expect(await redis.get('paper:watermark:ticks:market.ticks:0')).toBe('12');
  });

  it('skips a derived event re-emitted at a new offset by its id, and a duplicate within a batch', async () => {
    const tick = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000) });
    const signal = createEvent({
      type: 'signal_generated',
      source: 'strategy-runner',
      namespace: 'paper',
      data: makeSignal(),
      cause: tick,
      id: derivedEventId(tick.id, 'momentum_reliance'),
    });
    const first = await run('signals', [consumed(signal, 'paper.signals.raw', 0), consumed(signal, 'paper.signals.raw', 1)]);
    expect(first).toMatchObject({ fresh: 1, skipped: 1, applied: [signal.id] });
    // The upstream stage crashed and replayed: the same id arrives again, further down the log.
    const replayed = await run('signals', [consumed(signal, 'paper.signals.raw', 7)]);
    expect(replayed).toMatchObject({ fresh: 0, skipped: 1 });
    expect(await redis.get('paper:test:signals:count')).toBe('1');
    expect(await redis.ttl(`paper:dedup:signals:${signal.id}`)).toBeGreaterThan(0);
  });

  it('refuses, rather than silently skips, a partition far behind its watermark (a recreated topic)', async () => {
    await redis.set('paper:watermark:reset:market.ticks:0', '500000');
    const tick = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000) });
    await expect(run('reset', [consumed(tick, 'market.ticks', 3)])).rejects.toThrow(/recreated.*paper:watermark:reset:market\.ticks:\*/);
  });

  it('replays a batch a crash interrupted after producing with the context it was first computed with', async () => {
    const ticks = [1, 2, 3].map(() => createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000) }));
    const batch = ticks.map((tick, index) => consumed(tick, 'market.ticks', 20 + index));
    const seen: boolean[] = [];
    const attempt = (events: ConsumedEvent[], crashAfterProducing: boolean) =>
      processOnce({
        redis,
        namespace: 'paper',
        stage: 'context',
        producer: {
          sendBatch: async () => {
            if (crashAfterProducing) throw new Error('crashed after producing');
            return [];
          },
        },
        events,
        context: { reads: [{ get: 'paper:test:context:switch' }], parse: ([value]) => ({ killSwitch: getValue(value) === 'on' }) },
        apply: (fresh, context) => {
          seen.push(context.killSwitch);
          const output = { topic: 'paper.out', key: null, envelope: fresh[0]!.envelope } as unknown as EventMessage;
          return { outputs: [output] };
        },
      });
    await expect(attempt(batch, true)).rejects.toThrow('crashed after producing');
    // The switch changes while the stage is down: the replay of the interrupted batch must not see
    // it (what it produced is already on the log), even when it is replayed in two smaller parts.
    await redis.set('paper:test:context:switch', 'on');
    await attempt(batch.slice(0, 2), false);
    await attempt(batch.slice(2), false);
    // The next new batch reads the context afresh.
    const next = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000) });
    await attempt([consumed(next, 'market.ticks', 23)], false);
    expect(seen).toEqual([false, false, false, true]);
    expect(await redis.hlen('paper:in-flight:context')).toBe(0);
  });

  it('replays an interrupted batch of two partitions exactly, whatever the next delivery brings, then the rest', async () => {
    const at = (ms: number) => new Date(Date.parse('2026-12-01T04:00:00.000Z') + ms);
    const tick = (ms: number) => createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000), now: at(ms) });
    const onPartition = (partition: number, offset: number, ms: number): ConsumedEvent => ({ ...consumed(tick(ms), 'market.ticks', offset), partition });
    const a = [onPartition(0, 1, 10), onPartition(0, 2, 30), onPartition(0, 3, 50)];
    const b = [onPartition(1, 1, 20), onPartition(1, 2, 40)];
    const applied: string[][] = [];
    const attempt = (events: ConsumedEvent[], crashAfterProducing: boolean) =>
      processOnce({
        redis,
        namespace: 'paper',
        stage: 'group',
        producer: {
          sendBatch: async () => {
            if (crashAfterProducing) throw new Error('crashed after producing');
            return [];
          },
        },
        events,
        apply: (fresh) => {
          applied.push(fresh.map((event) => `${event.partition}:${event.offset}`));
          return { outputs: [{ topic: 'paper.out', key: 'k', envelope: fresh[0]!.envelope } as EventMessage] };
        },
      });
    // The first attempt had offsets 1-2 of partition 0 and 1-2 of partition 1, in event time.
    await expect(attempt([...a.slice(0, 2), ...b], true)).rejects.toThrow('crashed after producing');
    // After the restart the partitions come the other way round, and partition 0 has one more.
    await attempt([...b, ...a], false);
    expect(applied).toEqual([
      ['0:1', '1:1', '0:2', '1:2'],
      ['0:1', '1:1', '0:2', '1:2'],
      ['0:3'],
    ]);
    expect(await redis.hlen('paper:in-flight:group')).toBe(0);
    expect(await redis.mget('paper:watermark:group:market.ticks:0', 'paper:watermark:group:market.ticks:1')).toEqual(['3', '2']);
  });

  /** A stage that crashes after producing when told to, and records what each attempt applied and read. */
  const crashable = <C>(stage: string, context: (events: readonly ConsumedEvent[]) => BatchContext<C>) => {
    const seen: { offsets: string[]; context: C }[] = [];
    const attempt = (events: ConsumedEvent[], crashAfterProducing: boolean) =>
      processOnce({
        redis,
        namespace: 'paper',
        stage,
        producer: {
          sendBatch: async () => {
            if (crashAfterProducing) throw new Error('crashed after producing');
            return [];
          },
        },
        events,
        context: context(events),
        apply: (fresh, read) => {
          seen.push({ offsets: fresh.map((event) => `${event.partition}:${event.offset}`), context: read });
          return { outputs: [{ topic: 'paper.out', key: 'k', envelope: fresh[0]!.envelope } as EventMessage] };
        },
      });
    return { attempt, seen };
  };
  const ticksAt = (first: number, count: number, partition = 0): ConsumedEvent[] =>
    Array.from({ length: count }, (_, index) => ({
      ...consumed(createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000 + index) }), 'market.ticks', first + index),
      partition,
    }));

  it('leaves no record in flight after a batch without outputs, nor after a delivery of duplicates', async () => {
    const batch = ticksAt(40, 3);
    await run('quiet', batch);
    await run('quiet', batch);
    expect(await redis.hlen('paper:in-flight:quiet')).toBe(0);
    expect(await redis.get('paper:test:quiet:count')).toBe('3');
  });

  it('removes a record with nothing left to replay (left by a crash after a delivery of duplicates) with the next commit', async () => {
    await run('orphan', ticksAt(1, 5));
    await redis.hset('paper:in-flight:orphan', '000000000000001-left', JSON.stringify({ members: { 'market.ticks:0': '5' }, reads: [] }));
    const next = await run('orphan', ticksAt(6, 1));
    expect(next.fresh).toBe(1);
    expect(await redis.hlen('paper:in-flight:orphan')).toBe(0);
  });

  it("writes its record ahead by itself while another instance's is in flight, and replays with what it read", async () => {
    const other = JSON.stringify({ members: { 'market.ticks:9': '100' }, reads: [null] });
    await redis.hset('paper:in-flight:beside', '000000000000001-other', other);
    const { attempt, seen } = crashable('beside', () => ({ reads: [{ get: 'paper:test:beside:switch' }], parse: ([value]) => getValue(value) }));
    await redis.set('paper:test:beside:switch', 'first');
    const batch = ticksAt(1, 2);
    await expect(attempt(batch, true)).rejects.toThrow('crashed after producing');
    expect(await redis.hlen('paper:in-flight:beside')).toBe(2);
    await redis.set('paper:test:beside:switch', 'second');
    await attempt([...batch, ...ticksAt(3, 1)], false);
    expect(seen).toEqual([
      { offsets: ['0:1', '0:2'], context: 'first' },
      { offsets: ['0:1', '0:2'], context: 'first' },
      { offsets: ['0:3'], context: 'second' },
    ]);
    // The other instance's record is its own to finish.
    expect(await redis.hgetall('paper:in-flight:beside')).toEqual({ '000000000000001-other': other });
  });

  it('replays with the hash fields it first read, whichever fields the delivery that replays it would read', async () => {
    const prices = 'paper:test:prices';
    await redis.hset(prices, { '0:1': 'p1', '0:2': 'p2', '0:3': 'p3' });
    // Like the risk manager's last prices: one field per event of the delivery.
    const { attempt, seen } = crashable('fields', (events) => ({
      reads: [{ hmget: prices, fields: events.map((event) => `${event.partition}:${event.offset}`) }],
      parse: ([values]) => hmgetValues(values),
    }));
    await expect(attempt(ticksAt(1, 2), true)).rejects.toThrow('crashed after producing');
    await redis.hset(prices, { '0:1': 'changed', '0:2': 'changed', '0:3': 'p3 later' });
    await attempt(ticksAt(1, 3), false);
    expect(seen.map(({ context }) => context)).toEqual([
      { '0:1': 'p1', '0:2': 'p2' },
      { '0:1': 'p1', '0:2': 'p2' },
      // The rest is a batch of its own, read afresh.
      { '0:1': 'changed', '0:2': 'changed', '0:3': 'p3 later' },
    ]);
    expect(await redis.hlen('paper:in-flight:fields')).toBe(0);
  });

  it('computes from the last read when the critical section reads again before the step (the lock taken again), and drops the first claim', async () => {
    const key = 'paper:test:reread:switch';
    await redis.set(key, 'before');
    const seen: (string | null)[] = [];
    // What StageLock does when its lease ran out between two batches: the first read went out
    // with the lock's own, then the lock is taken again and everything read afresh.
    const readTwice: CriticalSection = {
      run: async (work, prefetch) => {
        await prefetch!();
        await redis.set(key, 'after');
        return work(await prefetch!());
      },
    };
    await processOnce({
      redis,
      namespace: 'paper',
      stage: 'reread',
      producer,
      events: ticksAt(1, 2),
      serial: readTwice,
      context: { reads: [{ get: key }], parse: ([value]) => getValue(value) },
      apply: (fresh, read) => {
        seen.push(read);
        return { outputs: [{ topic: 'paper.out', key: 'k', envelope: fresh[0]!.envelope } as EventMessage] };
      },
    });
    expect(seen).toEqual(['after']);
    expect(await redis.hlen('paper:in-flight:reread')).toBe(0);
  });
});

