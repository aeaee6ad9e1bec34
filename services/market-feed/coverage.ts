// Market-data completeness: which instruments the feed subscribes to and when each last ticked,
// saved by the feed in Redis (`shared:market-feed:coverage:<ticks topic>`, the account's market
// data) every few seconds and when it stops, for the HTTP API to read when /metrics is scraped.
// What "ticked in the last minute" means is worked out at the reader's clock, so a feed that died
// without a word shows its instruments going quiet.
import type { Redis } from 'ioredis';
import { getLogger } from '../../core/logging';
import { namespacedKey } from '../../core/redis/keys';

export const coverageKey = (ticksTopic: string) => namespacedKey('shared', 'market-feed', 'coverage', ticksTopic);

/** How often a running feed saves its coverage. */
export const COVERAGE_SAVE_MS = 5_000;

export interface CoverageReport {
  /** When the feed saved it (ISO). */
  at: string;
  source: 'simulated' | 'kite';
  /** Instrument tokens subscribed now (none once the feed stopped). */
  subscribed: number[];
  /** Instrument token -> epoch milliseconds of its latest tick. */
  lastTickAt: Record<string, number>;
}

/** Follows a feed's subscriptions and ticks, and saves them when due. */
export class CoverageTracker {
  private subscribed: number[] = [];
  private readonly lastTickAt = new Map<number, number>();
  private savedAt = 0;

  constructor(
    private readonly source: CoverageReport['source'],
    private readonly redis: Pick<Redis, 'set'> | undefined,
    private readonly ticksTopic: string,
  ) {}

  subscribe(tokens: Iterable<number>): void {
    this.subscribed = [...tokens].sort((a, b) => a - b);
  }

  recordTicks(tokens: Iterable<number>, at: Date): void {
    for (const token of tokens) this.lastTickAt.set(token, at.getTime());
  }

  /** Saves when COVERAGE_SAVE_MS have passed since the last save (or always, when forced). */
  async saveIfDue(at: Date, force = false): Promise<void> {
    if (!this.redis || (!force && at.getTime() - this.savedAt < COVERAGE_SAVE_MS)) return;
    this.savedAt = at.getTime();
    const report: CoverageReport = { at: at.toISOString(), source: this.source, subscribed: this.subscribed, lastTickAt: Object.fromEntries(this.lastTickAt) };
    await this.redis.set(coverageKey(this.ticksTopic), JSON.stringify(report)).catch((error: unknown) => {
      // Coverage is for operators; it never stops the feed.
      getLogger('market_data').warn({ err: error }, 'could not save the market-data coverage');
    });
  }

  /** A stopped feed subscribes nothing: saved at once. */
  async stopped(at: Date): Promise<void> {
    this.subscribed = [];
    await this.saveIfDue(at, true);
  }
}

export async function readCoverage(redis: Pick<Redis, 'get'>, ticksTopic: string): Promise<CoverageReport | null> {
  const text = await redis.get(coverageKey(ticksTopic));
  return text === null ? null : (JSON.parse(text) as CoverageReport);
}

/** Subscribed instruments whose latest tick is at most `windowMs` before `now`. */
export function tickedWithin(report: CoverageReport, now: Date, windowMs: number): number {
  return report.subscribed.filter((token) => {
    const at = report.lastTickAt[String(token)];
    return at !== undefined && now.getTime() - at <= windowMs;
  }).length;
}
