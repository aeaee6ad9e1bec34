// The market feed over a market-data source (the port in ./port): subscribes, in full mode, every
// instrument that an active strategy of either namespace trades, follows strategy changes by
// re-reading the table, and publishes each tick to market.ticks keyed by instrument token.
//
// Health: a source that cannot deliver until someone logs in again (the session expired or Kite
// refused the token) shows `needsAuth` with its reason while the feed runs on, waiting for a new
// session, since a restart would not help; other source errors show as failed; a feed that
// receives no tick for MARKET_FEED__STALE_MS while the market is open fails outright, so that its
// supervisor restarts it. Its coverage (subscriptions and each instrument's latest tick) goes to
// Redis for /metrics (./coverage).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { createEvent, type Envelope, type Tick } from '../../core/domain/events';
import { createEventProducer } from '../../core/kafka/producer';
import { HealthTracker, type StreamingService } from '../../core/service';
import { CoverageTracker } from './coverage';
import { publishTicks, type TickTarget } from './publish';
import type { FeedInstrument, MarketDataSource } from './port';

export interface LiveMarketFeedDeps {
  source: MarketDataSource;
  kafka: Kafka;
  postgres: Pool;
  ticksTopic: string;
  log: Logger;
  /** How often the strategies' instruments are re-read (STRATEGIES__REFRESH_INTERVAL_MS). */
  refreshIntervalMs: number;
  /** MARKET_FEED__STALE_MS. */
  staleMs: number;
  isMarketOpen: (at: Date) => boolean;
  /** Where the coverage and the last prices (core/redis/last-prices.ts) are saved. */
  redis: Redis;
  now?: () => Date;
}

/** How often buffered ticks are published and health is re-evaluated. */
const LOOP_MS = 50;

const SELECT_FEED_INSTRUMENTS = `
  select i.instrument_token, i.tradingsymbol, i.exchange
    from instruments i
   where i.instrument_token in (select unnest(instruments) from strategy_configurations where is_active)
   order by i.instrument_token`;

const SELECT_WANTED_TOKENS = `
  select distinct unnest(instruments) as instrument_token from strategy_configurations where is_active`;

/** The instruments the active strategies of both namespaces trade, and tokens missing from the instrument master. */
export async function loadFeedInstruments(pool: Pool): Promise<{ instruments: FeedInstrument[]; unknown: number[] }> {
  const [known, wanted] = await Promise.all([
    pool.query<{ instrument_token: number; tradingsymbol: string; exchange: string }>(SELECT_FEED_INSTRUMENTS),
    pool.query<{ instrument_token: number }>(SELECT_WANTED_TOKENS),
  ]);
  const instruments = known.rows.map((row) => ({ instrumentToken: row.instrument_token, tradingsymbol: row.tradingsymbol, exchange: row.exchange }));
  const found = new Set(instruments.map((i) => i.instrumentToken));
  return { instruments, unknown: wanted.rows.map((row) => row.instrument_token).filter((token) => !found.has(token)) };
}

export function createLiveMarketFeed(deps: LiveMarketFeedDeps): StreamingService {
  const health = new HealthTracker();
  const now = deps.now ?? (() => new Date());
  const log = deps.log;

  return {
    name: 'market-feed',
    health: () => health.snapshot(),
    async start(signal) {
      const { source } = deps;
      const producer = createEventProducer(deps.kafka);
      const target: TickTarget = { producer, redis: deps.redis, topic: deps.ticksTopic };
      await producer.connect();
      const pending: Tick[] = [];
      const coverage = new CoverageTracker(source.kind, deps.redis, deps.ticksTopic);
      source.onTicks((ticks) => {
        pending.push(...ticks);
        coverage.recordTicks(ticks.map((tick) => tick.instrumentToken), now());
      });
      let subscribed = new Set<number>();
      const follow = async () => {
        const { instruments, unknown } = await loadFeedInstruments(deps.postgres);
        if (unknown.length > 0) log.warn({ unknown }, "strategies trade instruments missing from the instrument master ('alpha-panda instruments sync')");
        const next = new Set(instruments.map((i) => i.instrumentToken));
        const removed = [...subscribed].filter((token) => !next.has(token));
        const added = instruments.filter((i) => !subscribed.has(i.instrumentToken));
        if (removed.length > 0) source.unsubscribe(removed);
        if (added.length > 0) source.subscribe(added, 'full');
        if (added.length > 0 || removed.length > 0) log.info({ added: added.length, removed: removed.length, total: next.size }, 'feed subscriptions follow the strategies');
        subscribed = next;
        coverage.subscribe(next);
      };

      const stopSource = new AbortController();
      const onAbort = () => stopSource.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      let failure: unknown = null;
      let running: Promise<void> = Promise.resolve();
      const startedAt = now().getTime();
      let sent = 0;
      try {
        await follow();
        running = source.run(stopSource.signal).catch((error: unknown) => {
          failure = error;
        });
        health.setState('running', describe(source, subscribed.size));
        log.info({ instruments: subscribed.size, source: source.kind }, 'market feed started');
        let nextRefresh = Date.now() + deps.refreshIntervalMs;
        while (!signal.aborted) {
          if (failure) throw failure;
          if (pending.length > 0) sent += await publish(pending.splice(0), target, health, log);
          if (Date.now() >= nextRefresh) {
            nextRefresh = Date.now() + deps.refreshIntervalMs;
            await follow().catch((error: unknown) => log.error({ err: error }, 'could not re-read the strategies; keeping the subscriptions'));
          }
          await coverage.saveIfDue(now());
          const state = source.health();
          // Waiting for a login is not a failure: the feed runs on and says so (needsAuth).
          health.setNeedsAuth(state.needsAction);
          if (state.needsAction) {
            health.setState('running', state.error ?? 'waiting for a Zerodha login');
          } else if (state.error) {
            health.setState('failed', state.error);
          } else {
            health.setState('running', describe(source, subscribed.size));
          }
          // The loop went round: alive, whether ticks arrive or not (a closed market has none).
          health.recordBeat();
          const at = now();
          const lastTick = state.lastTickAt?.getTime() ?? startedAt;
          if (subscribed.size > 0 && !state.needsAction && deps.isMarketOpen(at) && at.getTime() - lastTick > deps.staleMs) {
            const reason = `no tick for ${Math.round((at.getTime() - lastTick) / 1000)} s while the market is open (MARKET_FEED__STALE_MS=${deps.staleMs})`;
            health.setState('failed', reason);
            throw new Error(`market feed is stale: ${reason}`);
          }
          await sleep(LOOP_MS, undefined, { signal }).catch(() => undefined);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        stopSource.abort();
        await running;
        const failed = health.snapshot().state === 'failed' && !signal.aborted;
        if (!failed) health.setState('stopping');
        if (pending.length > 0) sent += await publish(pending.splice(0), target, health, log).catch(() => 0);
        await coverage.stopped(now());
        await producer.disconnect();
        if (!failed) health.setState('stopped');
        log.info({ sent }, 'market feed stopped');
      }
    },
  };
}

function describe(source: MarketDataSource, instruments: number): string {
  const state = source.health();
  return `${instruments} instruments from ${source.kind}, ${state.connected}/${state.connections} connections open`;
}

async function publish(ticks: readonly Tick[], target: TickTarget, health: HealthTracker, log: Logger): Promise<number> {
  const batch: Envelope<'tick_received'>[] = [];
  for (const tick of ticks) {
    try {
      batch.push(createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: tick }));
    } catch (error) {
      // One malformed tick must not hold back the batch (the producer refuses a batch whole).
      log.error({ err: error, instrumentToken: tick.instrumentToken }, 'dropped a tick that fails the tick schema');
    }
  }
  if (batch.length === 0) return 0;
  await publishTicks(target, batch);
  health.recordProcessed(batch.length);
  return batch.length;
}
