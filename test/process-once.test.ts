// processOnce on real Redis: what it skips, what it processes, and that marks and state commit together.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type EventType } from '../core/domain/events';
import { derivedEventId } from '../core/domain/ids';
import type { ConsumedEvent } from '../core/kafka/consumer';
import type { EventMessage } from '../core/kafka/producer';
import { processOnce } from '../core/pipeline/process-once';
import { makeSignal, makeTick } from '../core/domain/trading/testing';
import { claimRedisDatabase } from './support/stack';

describe('processOnce', () => {
  let redis: Redis;
  let release: () => Promise<void>;
  const produced: EventMessage[] = [];
  const producer = {
    sendBatch: async (messages: readonly EventMessage[]) => {
      produced.push(...messages);
      return [];
    },
  };

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
    let switchOn = false;
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
        context: async () => ({ killSwitch: switchOn }),
        apply: (fresh, context) => {
          seen.push(context.killSwitch);
          const output = { topic: 'paper.out', key: null, envelope: fresh[0]!.envelope } as unknown as EventMessage;
          return { outputs: [output] };
        },
      });
    await expect(attempt(batch, true)).rejects.toThrow('crashed after producing');
    // The switch changes while the stage is down: the replay of the interrupted batch must not see
    // it (what it produced is already on the log), even when it is replayed in two smaller parts.
    switchOn = true;
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
});

