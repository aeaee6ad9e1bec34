// A client-side rate limiter for Kite's per-account limits: sliding windows (10 order requests
// per second, 400 per minute) and a count per IST trading day (5,000). Requests wait in a FIFO
// queue until every limit allows them; none is ever dropped. The arithmetic is pure (waitTime,
// recordStart); the queue takes its clock and its sleep from the caller, so tests run on a fake
// clock without waiting.
import { IST_OFFSET_MINUTES } from '../domain/market-hours';

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  windows: readonly RateWindow[];
  /** Requests per day; days start at midnight IST. */
  perDay?: number;
  /**
   * Extra spacing added to every window, so that network jitter cannot make two requests the
   * client sent a window apart arrive at Kite closer than that.
   */
  marginMs?: number;
}

/** Kite's order limits (place, modify, cancel). */
export const KITE_ORDER_LIMITS: RateLimits = {
  windows: [
    { limit: 10, windowMs: 1000 },
    { limit: 400, windowMs: 60_000 },
  ],
  perDay: 5000,
  marginMs: 50,
};

/** Kite's limit for the other endpoints (order book, trades, positions). */
export const KITE_READ_LIMITS: RateLimits = { windows: [{ limit: 10, windowMs: 1000 }], marginMs: 50 };

export interface RateState {
  /** Start times (ms) of the requests still inside the longest window, oldest first. */
  starts: number[];
  day: number;
  dayCount: number;
}

export const emptyRateState = (): RateState => ({ starts: [], day: Number.NaN, dayCount: 0 });

const DAY_MS = 86_400_000;
const IST_OFFSET_MS = IST_OFFSET_MINUTES * 60_000;
const istDay = (ms: number) => Math.floor((ms + IST_OFFSET_MS) / DAY_MS);

/** How long (ms) a request must wait at `now` before it may start; 0 when it may start now. */
export function waitTime(state: RateState, now: number, limits: RateLimits): number {
  const margin = limits.marginMs ?? 0;
  let wait = 0;
  for (const { limit, windowMs } of limits.windows) {
    if (state.starts.length < limit) continue;
    // The request `limit` places back must have left the window before another may start.
    const blocking = state.starts[state.starts.length - limit]!;
    wait = Math.max(wait, blocking + windowMs + margin - now);
  }
  if (limits.perDay !== undefined && state.day === istDay(now) && state.dayCount >= limits.perDay) {
    wait = Math.max(wait, (istDay(now) + 1) * DAY_MS - IST_OFFSET_MS - now);
  }
  return Math.max(0, wait);
}

/** The state after a request starts at `now`. */
export function recordStart(state: RateState, now: number, limits: RateLimits): RateState {
  const longest = Math.max(0, ...limits.windows.map((w) => w.windowMs)) + (limits.marginMs ?? 0);
  const starts = [...state.starts.filter((start) => start > now - longest), now];
  const day = istDay(now);
  return { starts, day, dayCount: day === state.day ? state.dayCount + 1 : 1 };
}

export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Job {
  run(): void;
}

export class RateLimiter {
  private state = emptyRateState();
  private readonly queue: Job[] = [];
  private draining = false;

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: LimiterClock = systemClock,
  ) {}

  /** Requests waiting for their turn. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs `task` as soon as the limits allow, after every task scheduled before it has started. */
  schedule<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: () => void task().then(resolve, reject) });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const wait = waitTime(this.state, this.clock.now(), this.limits);
        if (wait > 0) {
          await this.clock.sleep(wait);
          continue;
        }
        this.state = recordStart(this.state, this.clock.now(), this.limits);
        this.queue.shift()!.run();
      }
    } finally {
      this.draining = false;
    }
  }
}
