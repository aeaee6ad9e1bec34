import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { NamespaceStream, stateSource, type StreamEvent } from './hub';

describe('namespace event stream', () => {
  it('shares one poller between subscribers, sends only changes, and stops when the last one leaves', async () => {
    let reads = 0;
    let value = 1;
    const stream = new NamespaceStream('paper', [
      stateSource('probe', 'probe', 10, async () => {
        reads += 1;
        return { value };
      }),
    ]);
    expect(stream.polling).toBe(false);
    const first: StreamEvent[] = [];
    const leaveFirst = stream.subscribe((event) => first.push(event) > 0);
    expect(stream.polling).toBe(true);
    await sleep(60);
    // Read several times, sent once: nothing changed.
    expect(first).toEqual([{ event: 'probe', data: { value: 1 } }]);

    // A later subscriber is sent the current state at once, and the same poller serves both.
    const second: StreamEvent[] = [];
    const leaveSecond = stream.subscribe((event) => second.push(event) > 0);
    expect(second).toEqual([{ event: 'probe', data: { value: 1 } }]);
    const before = reads;
    await sleep(55);
    expect(reads - before).toBeLessThanOrEqual(7); // one poller at 10 ms, not two
    value = 2;
    await sleep(40);
    expect(first.at(-1)).toEqual({ event: 'probe', data: { value: 2 } });
    expect(second.at(-1)).toEqual({ event: 'probe', data: { value: 2 } });
    expect(first).toHaveLength(2);

    leaveFirst();
    expect(stream.polling).toBe(true);
    leaveSecond();
    expect(stream.polling).toBe(false);
    const stopped = reads;
    await sleep(40);
    expect(reads).toBe(stopped);
  });

  it('reports a source that fails in problems, clears it once it reads again, and drops a subscriber that can take no more', async () => {
    let failing = true;
    const stream = new NamespaceStream('paper', [
      stateSource('postgres', 'x', 10, async () => {
        if (failing) throw new Error('connection refused');
        return 1;
      }),
    ]);
    const events: StreamEvent[] = [];
    const leave = stream.subscribe((event) => events.push(event) > 0);
    let full = 0;
    stream.subscribe(() => ++full < 1);
    await sleep(30);
    expect(events).toContainEqual({ event: 'problems', data: { postgres: 'connection refused' } });
    expect(stream.subscribers).toBe(1);
    failing = false;
    await sleep(40);
    expect(events.slice(-2)).toEqual([
      { event: 'x', data: 1 },
      { event: 'problems', data: {} },
    ]);
    leave();
  });
});
