// A stage's turn without reads (core/pipeline/stage-lock.ts) on the real Redis: after a commit, a
// batch of ticks past the known watermarks commits in one round trip, and whatever another
// instance (or a zombie) changed after that commit fences it, so the batch is retried with its
// reads from the reloaded state.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEvent } from '../core/domain/events';
import { makeSignal, makeTick } from '../core/domain/trading/testing';
import type { ConsumedEvent } from '../core/kafka/consumer';
import type { EventMessage } from '../core/kafka/producer';
import { inFlightKey } from '../core/pipeline/batch-claim';
import { processOnce } from '../core/pipeline/process-once';
import { StageLock, stageVersionKey } from '../core/pipeline/stage-lock';
import { recordingProducer } from './support/producer';
import { claimRedisDatabase } from './support/stack';

describe('a turn without reads', () => {
  let redis: Redis;
  let release: () => Promise<void>;
  const locks: StageLock[] = [];
  const { produced, producer } = recordingProducer();

  beforeAll(async () => {
    const claimed = await claimRedisDatabase();
    release = claimed.release;
    redis = new Redis(claimed.url);
  });
  afterAll(async () => {
    for (const lock of locks) await lock.close();
    redis.disconnect();
    await release();
  });

  const ticksAt = (first: number, count: number): ConsumedEvent[] =>
    Array.from({ length: count }, (_, index) => ({
      envelope: createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000 + index) }),
      topic: 'market.ticks',
      partition: 0,
      offset: String(first + index),
      key: null,
    }));

  /**
   * One instance of a stage whose state is a count of the ticks it applied, kept in memory and
   * committed to Redis; `emitOn` makes the batches holding that offset emit an output.
   */
  const stage = (name: string) => {
    const countKey = `paper:test:${name}:count`;
    const self = { memory: 0, reloads: 0, applied: [] as string[][], emitOn: new Set<string>() };
    const lock = new StageLock({
      redis,
      namespace: 'paper',
      stage: name,
      reload: async () => {
        self.reloads += 1;
        self.memory = Number((await redis.get(countKey)) ?? 0);
      },
    });
    locks.push(lock);
    const handle = (events: ConsumedEvent[]) => {
      let next = self.memory;
      return processOnce({
        redis,
        namespace: 'paper',
        stage: name,
        producer,
        events,
        serial: lock,
        apply: (fresh) => {
          self.applied.push(fresh.map((event) => event.offset));
          next = self.memory + fresh.length;
          const emits = fresh.filter((event) => self.emitOn.has(event.offset));
          const outputs = emits.map((event) => ({ topic: 'paper.out', key: 'k', envelope: event.envelope }) as EventMessage);
          return { outputs, persist: (multi) => void multi.set(countKey, String(next)) };
        },
        committed: () => (self.memory = next),
      });
    };
    return { self, handle, count: async () => Number(await redis.get(countKey)) };
  };

  it('commits a batch of ticks past the watermark without reading; an event of another kind and a redelivery are read', async () => {
    const { self, handle, count } = stage('unread');
    await handle(ticksAt(1, 3));
    const mget = vi.spyOn(redis, 'mget');
    const evalCalls = vi.spyOn(redis, 'eval');
    const second = ticksAt(4, 2);
    try {
      expect(await handle(second)).toEqual({ fresh: 2, skipped: 0 });
      // Neither the watermarks nor the claim script were read for it.
      expect(mget).not.toHaveBeenCalled();
      expect(evalCalls).not.toHaveBeenCalled();
      expect(await count()).toBe(5);
      expect(await redis.get('paper:watermark:unread:market.ticks:0')).toBe('5');
      // An event of another kind goes with its reads, right after that commit: its claim is not
      // fenced by the WATCH the commit left on the records in flight.
      const signal = createEvent({ type: 'signal_generated', source: 'strategy-runner', namespace: 'paper', data: makeSignal(), cause: second[1]!.envelope });
      expect(await handle([{ ...second[1]!, envelope: signal, topic: 'paper.signals.raw', offset: '0' }])).toEqual({ fresh: 1, skipped: 0 });
      const readsSoFar = mget.mock.calls.length;
      expect(readsSoFar).toBeGreaterThan(0);
      // A redelivery (the offset commit was lost, say) is at or below the watermark: read, and skipped.
      expect(await handle(second)).toEqual({ fresh: 0, skipped: 2 });
      expect(mget.mock.calls.length).toBeGreaterThan(readsSoFar);
    } finally {
      mget.mockRestore();
      evalCalls.mockRestore();
    }
    expect(await count()).toBe(6);
    expect(self.applied).toEqual([['1', '2', '3'], ['4', '5'], ['0']]);
  });

  it('writes the record of a batch with outputs ahead, fenced, in one round trip of its own', async () => {
    const { self, handle, count } = stage('outputs');
    await handle(ticksAt(1, 2));
    self.emitOn.add('4');
    const before = produced.length;
    const reads = vi.spyOn(redis, 'mget');
    // What is in flight when the output leaves: the batch's record, written ahead of it.
    const recordsAtSend: string[][] = [];
    const send = vi.spyOn(producer, 'sendBatch').mockImplementationOnce(async (messages) => {
      recordsAtSend.push(Object.values(await redis.hgetall(inFlightKey('paper', 'outputs'))));
      produced.push(...messages);
      return [];
    });
    try {
      expect(await handle(ticksAt(3, 2))).toEqual({ fresh: 2, skipped: 0 });
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      send.mockRestore();
    }
    expect(recordsAtSend.map((records) => records.map((record) => JSON.parse(record)))).toEqual([[{ members: { 'market.ticks:0': '4' }, reads: [] }]]);
    expect(produced.length).toBe(before + 1);
    expect(self.applied).toEqual([['1', '2'], ['3', '4']]);
    expect(await count()).toBe(4);
    expect(await redis.hlen(inFlightKey('paper', 'outputs'))).toBe(0);
  });

  it('produces nothing when another instance committed before the record could be written, and the retry produces once', async () => {
    const { self, handle, count } = stage('outrun');
    await handle(ticksAt(1, 2));
    self.emitOn.add('3');
    const before = produced.length;
    await redis.set('paper:test:outrun:count', '100');
    await redis.incr(stageVersionKey('paper', 'outrun'));
    await expect(handle(ticksAt(3, 1))).rejects.toThrow('another instance of the stage committed');
    expect(produced.length).toBe(before);
    expect(await redis.hlen(inFlightKey('paper', 'outrun'))).toBe(0);
    expect(await handle(ticksAt(3, 1))).toEqual({ fresh: 1, skipped: 0 });
    expect(produced.length).toBe(before + 1);
    expect(await count()).toBe(101);
  });

  it("is fenced by another instance's commit after the last one, and the retry starts from what that instance committed", async () => {
    const { self, handle, count } = stage('overtaken');
    await handle(ticksAt(1, 2));
    // Another instance took the lock after a lost lease and committed: state and version moved.
    await redis.set('paper:test:overtaken:count', '100');
    await redis.incr(stageVersionKey('paper', 'overtaken'));
    await expect(handle(ticksAt(3, 1))).rejects.toThrow('transaction aborted');
    expect(await count()).toBe(100);
    const reloads = self.reloads;
    expect(await handle(ticksAt(3, 1))).toEqual({ fresh: 1, skipped: 0 });
    expect(self.reloads).toBe(reloads + 1);
    expect(await count()).toBe(101);
  });

  it('is fenced by a record written in flight after the last commit, which the retry then reads', async () => {
    const { handle, count } = stage('zombie');
    await handle(ticksAt(1, 2));
    // The claim of an instance whose lease ran out between its lock check and its claim.
    const record = JSON.stringify({ members: { 'market.ticks:0': '2' }, reads: [] });
    await redis.hset(inFlightKey('paper', 'zombie'), '000000000000001-zombie', record);
    await expect(handle(ticksAt(3, 1))).rejects.toThrow('transaction aborted');
    expect(await count()).toBe(2);
    expect(await handle(ticksAt(3, 1))).toEqual({ fresh: 1, skipped: 0 });
    expect(await count()).toBe(3);
    // Its offsets were all committed before it: settled, and removed with the commit.
    expect(await redis.hlen(inFlightKey('paper', 'zombie'))).toBe(0);
  });
});
