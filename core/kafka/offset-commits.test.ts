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
