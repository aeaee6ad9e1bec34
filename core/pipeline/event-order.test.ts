import { describe, expect, it } from 'vitest';
import type { ConsumedEvent } from '../kafka/consumer';
import { byPartition, interleaveByTime } from './event-order';

const event = (topic: string, partition: number, offset: number, ts: string): ConsumedEvent =>
  ({ topic, partition, offset: String(offset), key: null, envelope: { id: `${topic}-${partition}-${offset}`, ts } }) as unknown as ConsumedEvent;

describe('the order of a batch of several partitions', () => {
  const a = [event('ticks', 0, 5, '2026-12-01T04:00:00.300Z'), event('ticks', 0, 6, '2026-12-01T04:00:00.100Z')];
  const b = [event('orders', 1, 9, '2026-12-01T04:00:00.200Z'), event('orders', 1, 10, '2026-12-01T04:00:00.400Z')];

  it('interleaves by envelope time and keeps each partition in offset order, even where its times go back', () => {
    const order = interleaveByTime(byPartition([...a, ...b])).map((e) => e.envelope.id);
    expect(order).toEqual(['orders-1-9', 'ticks-0-5', 'ticks-0-6', 'orders-1-10']);
  });

  it('is the same whatever order the partitions came in', () => {
    const one = interleaveByTime(byPartition([...a, ...b])).map((e) => e.envelope.id);
    const other = interleaveByTime(byPartition([...b, ...a])).map((e) => e.envelope.id);
    expect(other).toEqual(one);
  });

  it('breaks a tie in time by topic and partition', () => {
    const same = '2026-12-01T04:00:00.000Z';
    const order = interleaveByTime(byPartition([event('b', 0, 1, same), event('a', 2, 1, same), event('a', 1, 1, same)]));
    expect(order.map((e) => e.envelope.id)).toEqual(['a-1-1', 'a-2-1', 'b-0-1']);
  });
});
