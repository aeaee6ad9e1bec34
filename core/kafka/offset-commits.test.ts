import type { TopicOffsets } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { OffsetCommits, type CommittedOffset } from './offset-commits';

describe('OffsetCommits', () => {
  it('sends the partitions finished in one turn in one request, naming the next offsets, one request at a time', async () => {
    const requests: TopicOffsets[][] = [];
    const committed: CommittedOffset[][] = [];
    let inFlight = 0;
    const commits = new OffsetCommits(
      async (topics) => {
        expect(++inFlight).toBe(1);
        requests.push(topics);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
      },
      (offsets) => committed.push(offsets),
      (error) => {
        throw error;
      },
    );
    commits.add({ topic: 'ticks', partition: 0, lastOffset: '9' });
    commits.add({ topic: 'ticks', partition: 1, lastOffset: '4' });
    commits.add({ topic: 'fills', partition: 0, lastOffset: '2' });
    commits.add({ topic: 'ticks', partition: 0, lastOffset: '11' }); // replaces the first
    while (requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    commits.add({ topic: 'ticks', partition: 0, lastOffset: '12' }); // while the first request is out
    await commits.settled();
    expect(requests).toEqual([
      [
        { topic: 'ticks', partitions: [{ partition: 0, offset: '12' }, { partition: 1, offset: '5' }] },
        { topic: 'fills', partitions: [{ partition: 0, offset: '3' }] },
      ],
      [{ topic: 'ticks', partitions: [{ partition: 0, offset: '13' }] }],
    ]);
    expect(committed.map((offsets) => offsets.length)).toEqual([3, 1]);
  });
});

describe('OffsetCommits under load', () => {
  it('sends a commit after a quiet spell at once, and at most one request per interval while batches keep finishing', async () => {
    const sentAt: number[] = [];
    const requests: TopicOffsets[][] = [];
    const commits = new OffsetCommits(
      async (topics) => {
        sentAt.push(Date.now());
        requests.push(topics);
      },
      () => undefined,
      (error) => {
        throw error;
      },
      1_000,
      100,
    );
    const addedAt = Date.now();
    commits.add({ topic: 'ticks', partition: 0, lastOffset: '1' });
    // Batches finishing every 10 ms, for 50 ms: all within the interval after the first request.
    for (let offset = 2; offset <= 6; offset++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      commits.add({ topic: 'ticks', partition: 0, lastOffset: String(offset) });
    }
    await commits.settled();
    expect(requests).toEqual([[{ topic: 'ticks', partitions: [{ partition: 0, offset: '2' }] }], [{ topic: 'ticks', partitions: [{ partition: 0, offset: '7' }] }]]);
    expect(sentAt[0]! - addedAt).toBeLessThan(50);
    // A timer may fire a millisecond early.
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(99);
  });
});

describe('OffsetCommits after a failed request', () => {
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('sends a failed commit again with nothing new added, until it succeeds', async () => {
    const requests: TopicOffsets[][] = [];
    const committed: CommittedOffset[][] = [];
    const failures: CommittedOffset[][] = [];
    let failing = 2;
    const commits = new OffsetCommits(
      async (topics) => {
        requests.push(topics);
        if (failing-- > 0) throw new Error('the coordinator is not available');
      },
      (offsets) => committed.push(offsets),
      (_error, offsets) => failures.push(offsets),
      10,
    );
    commits.add({ topic: 'fills', partition: 5, lastOffset: '3' });
    while (committed.length === 0) await wait(5);
    await commits.settled();
    expect(failures).toHaveLength(2);
    expect(requests).toEqual(Array(3).fill([{ topic: 'fills', partitions: [{ partition: 5, offset: '4' }] }]));
    expect(committed).toEqual([[{ topic: 'fills', partition: 5, lastOffset: '3' }]]);
    commits.close();
  });

  it('a later commit of the partition replaces the failed one; a partition no longer assigned is not retried', async () => {
    const requests: TopicOffsets[][] = [];
    let failing = true;
    const commits = new OffsetCommits(
      async (topics) => {
        requests.push(topics);
        if (failing) throw new Error('rebalance in progress');
      },
      () => undefined,
      () => undefined,
      20,
    );
    commits.add({ topic: 'ticks', partition: 0, lastOffset: '7' });
    commits.add({ topic: 'ticks', partition: 1, lastOffset: '2' });
    await commits.settled();
    failing = false;
    commits.add({ topic: 'ticks', partition: 0, lastOffset: '9' });
    commits.retainOnly((_topic, partition) => partition === 0);
    await commits.settled();
    await wait(60);
    await commits.settled();
    expect(requests.slice(1)).toEqual([[{ topic: 'ticks', partitions: [{ partition: 0, offset: '10' }] }]]);
    commits.close();
  });

  it('after close, a failed commit is not sent again', async () => {
    let requests = 0;
    const commits = new OffsetCommits(
      async () => {
        requests++;
        throw new Error('broker gone');
      },
      () => undefined,
      () => undefined,
      10,
    );
    commits.add({ topic: 'ticks', partition: 0, lastOffset: '1' });
    await commits.settled();
    commits.close();
    await wait(50);
    expect(requests).toBe(1);
  });
});
