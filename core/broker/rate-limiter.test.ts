import { describe, expect, it } from 'vitest';
import { emptyRateState, KITE_ORDER_LIMITS, RateLimiter, recordStart, waitTime, type LimiterClock, type RateLimits } from './rate-limiter';

function fakeClock(start: number) {
  const clock = { time: start, sleeps: [] as number[] };
  const limiterClock: LimiterClock = {
    now: () => clock.time,
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return { clock, limiterClock };
}

const maxInAnyWindow = (starts: number[], windowMs: number) =>
  Math.max(...starts.map((start) => starts.filter((other) => other >= start && other < start + windowMs).length));

describe('waitTime', () => {
  const limits: RateLimits = { windows: [{ limit: 2, windowMs: 1000 }] };

  it('lets requests through until the window is full, then waits for the oldest to leave', () => {
    let state = emptyRateState();
    expect(waitTime(state, 0, limits)).toBe(0);
    state = recordStart(state, 0, limits);
    state = recordStart(state, 300, limits);
    expect(waitTime(state, 400, limits)).toBe(600);
    expect(waitTime(state, 1000, limits)).toBe(0);
    expect(waitTime(state, 400, { ...limits, marginMs: 50 })).toBe(650);
  });

  it('waits for the next IST midnight once the day is used up', () => {
    const day: RateLimits = { windows: [], perDay: 2 };
    const at = Date.parse('2026-03-02T15:00:00+05:30');
    let state = recordStart(emptyRateState(), at, day);
    state = recordStart(state, at + 1, day);
    expect(at + 1 + waitTime(state, at + 1, day)).toBe(Date.parse('2026-03-03T00:00:00+05:30'));
    // A new day starts a new count.
    expect(recordStart(state, Date.parse('2026-03-03T00:00:00+05:30'), day).dayCount).toBe(1);
  });
});

describe('RateLimiter', () => {
  it("queues 25 order requests at Kite's limits: 10 per second, none dropped, in order", async () => {
    const { clock, limiterClock } = fakeClock(Date.parse('2026-03-02T10:00:00+05:30'));
    const limiter = new RateLimiter(KITE_ORDER_LIMITS, limiterClock);
    const started: { index: number; at: number }[] = [];
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, index) =>
        limiter.schedule(async () => {
          started.push({ index, at: clock.time });
          return index;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 25 }, (_, index) => index));
    expect(started.map((s) => s.index)).toEqual(results);
    const times = started.map((s) => s.at - started[0]!.at);
    expect(times.slice(0, 10).every((t) => t === 0)).toBe(true);
    expect(times[10]).toBe(1050);
    expect(times[20]).toBe(2100);
    expect(maxInAnyWindow(times, 1000)).toBe(10);
    expect(limiter.pending).toBe(0);
  });

  it('holds the 401st request of a minute until the first has left the minute', async () => {
    const { clock, limiterClock } = fakeClock(0);
    const limiter = new RateLimiter(KITE_ORDER_LIMITS, limiterClock);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 401 }, () => limiter.schedule(async () => void starts.push(clock.time))));
    expect(maxInAnyWindow(starts, 60_000)).toBe(400);
    expect(starts[400]).toBeGreaterThanOrEqual(60_050);
    expect(maxInAnyWindow(starts, 1000)).toBe(10);
  });

  it('passes on a failing task without stopping the queue', async () => {
    const { limiterClock } = fakeClock(0);
    const limiter = new RateLimiter(KITE_ORDER_LIMITS, limiterClock);
    const failing = limiter.schedule(async () => {
      throw new Error('refused');
    });
    const next = limiter.schedule(async () => 'placed');
    await expect(failing).rejects.toThrow('refused');
    await expect(next).resolves.toBe('placed');
  });
});
