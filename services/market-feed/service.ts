// The market feed in mock mode: publishes simulated ticks for the configured instruments to
// market.ticks at a steady rate, keyed by instrument token, until its signal aborts. A restart
// carries on exactly after the last tick on the topic (simulated-log.ts: each tick's id carries
// its step), never repeating or skipping one. After every batch it also saves the simulator's
// state in Redis (`shared:market-feed:simulator`, keyed by the ticks topic): a shortcut, so that a
// restart walks forward only from the last save to the topic's end instead of from the seed. It
// also records its coverage (the instruments it simulates and when each last ticked: ./coverage).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Config } from '../../core/config/load';
import { createEvent, type Envelope } from '../../core/domain/events';
import { paise } from '../../core/domain/money';
import { createEventProducer } from '../../core/kafka/producer';
import { getLogger } from '../../core/logging';
import { HealthTracker, type StreamingService } from '../../core/service';
import { namespacedKey } from '../../core/redis/keys';
import { CoverageTracker } from './coverage';
import { publishTicks } from './publish';
import { readPublishedSteps, simulatedTickId } from './simulated-log';
import { MarketSimulator, type SimulatedInstrument, type SimulatorState } from './simulator';

/** Used when the instrument row carries no last price. */
const DEFAULT_START_PRICE = paise(100_000);
/** At most this many ticks per produce call, so high rates stay smooth. */
const MAX_BATCH = 500;
/** The feed's health detail once MARKET_FEED__MAX_TICKS ticks are out: it idles until stopped. */
export const FINISHED = 'published every tick (MARKET_FEED__MAX_TICKS)';

export interface MarketFeedDeps {
  config: Config;
  kafka: Kafka;
  postgres: Pool;
  /** market.ticks (a prefixed twin in tests). */
  ticksTopic: string;
  /** Where the simulator's state and the last prices (core/redis/last-prices.ts) are saved. */
  redis: Redis;
  now?: () => Date;
}

/** The simulator's saved state and the next step of its round robin. */
interface SavedFeed {
  simulator: SimulatorState;
  next: number;
}

/** Ticks generated without publishing them, to bring the simulator to a step. */
function walkTo(simulator: MarketSimulator, from: number, to: number, at: Date): void {
  for (let step = from; step < to; step += 1) simulator.tick(step, at);
}

export const simulatorStateKey = (ticksTopic: string) => namespacedKey('shared', 'market-feed', 'simulator', ticksTopic);

export function createSimulatedMarketFeed(deps: MarketFeedDeps): StreamingService {
  const health = new HealthTracker();
  const log = getLogger('market_data').child({ service: 'market-feed', mode: 'simulated' });
  const now = deps.now ?? (() => new Date());

  return {
    name: 'market-feed',
    health: () => health.snapshot(),
    async start(signal) {
      const instruments = await loadInstruments(deps.postgres, deps.config.marketFeed.instruments);
      const { seed } = deps.config.marketFeed;
      const stateKey = simulatorStateKey(deps.ticksTopic);
      const keyOf = (step: number) => String(instruments[step % instruments.length]!.instrumentToken);
      // What is on the topic decides where to carry on; the saved state only saves walking there.
      const published = await readPublishedSteps(deps.kafka, deps.ticksTopic, seed);
      // Each send is acknowledged whole before the next: only the last one (at most MAX_BATCH
      // steps) can have reached some partitions and not others.
      let firstIndex = Math.max(0, published.last + 1 - MAX_BATCH);
      while (firstIndex <= published.last && published.isPublished(firstIndex, keyOf(firstIndex))) firstIndex += 1;
      const savedText = await deps.redis.get(stateKey);
      const parsed = savedText === null ? undefined : (JSON.parse(savedText) as SavedFeed);
      // A save ahead of the topic (the topic recreated, say) is of no use: walk from the seed.
      const saved = parsed !== undefined && parsed.next <= firstIndex ? parsed : undefined;
      const simulator = new MarketSimulator(instruments, seed, saved?.simulator);
      walkTo(simulator, saved?.next ?? 0, firstIndex, now());
      const coverage = new CoverageTracker('simulated', deps.redis, deps.ticksTopic);
      coverage.subscribe(instruments.map((instrument) => instrument.instrumentToken));
      const producer = createEventProducer(deps.kafka);
      await producer.connect();
      health.setState('running', `${instruments.length} instruments at ${deps.config.marketFeed.ticksPerSecond} ticks/s`);
      log.info({ instruments: instruments.length, rate: deps.config.marketFeed.ticksPerSecond, from: firstIndex, savedAt: saved?.next ?? null }, 'simulated feed started');
      const rate = deps.config.marketFeed.ticksPerSecond;
      const { maxTicks } = deps.config.marketFeed;
      /** Ticks still to publish before the configured end (counted across restarts). */
      const remaining = () => (maxTicks === 0 ? Number.POSITIVE_INFINITY : maxTicks - (firstIndex + sent));
      const startedAt = Date.now();
      let sent = 0;
      try {
        while (!signal.aborted) {
          const due = Math.min(Math.floor(((Date.now() - startedAt) / 1000) * rate) - sent, remaining());
          if (due <= 0) {
            if (remaining() <= 0 && health.snapshot().detail !== FINISHED) {
              health.setState('running', FINISHED);
              log.info({ maxTicks }, 'simulated feed published its last tick');
            }
            await sleep(Math.max(1, Math.ceil(1000 / rate)), undefined, { signal }).catch(() => undefined);
            continue;
          }
          const count = Math.min(due, MAX_BATCH);
          const batch: Envelope<'tick_received'>[] = [];
          for (let i = 0; i < count; i += 1) {
            const step = firstIndex + sent + i;
            const at = now();
            const tick = simulator.tick(step, at);
            // Out already (a send that reached only some partitions before a crash): not again.
            if (published.isPublished(step, String(tick.instrumentToken))) continue;
            const envelope = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: tick, id: simulatedTickId(at, seed, step), now: at });
            batch.push(envelope);
          }
          await publishTicks({ producer, redis: deps.redis, topic: deps.ticksTopic }, batch);
          sent += count;
          await deps.redis.set(stateKey, JSON.stringify({ simulator: simulator.state(), next: firstIndex + sent } satisfies SavedFeed));
          health.recordProcessed(batch.length);
          // Coverage is about the feed's operation, read against the wall clock (the API's
          // "ticked in the last minute"), not about event time, which CLOCK__OFFSET_MS may shift.
          const sentAt = new Date();
          coverage.recordTicks(batch.map((envelope) => envelope.data.instrumentToken), sentAt);
          await coverage.saveIfDue(sentAt);
        }
      } finally {
        health.setState('stopping');
        await coverage.stopped(new Date());
        await producer.disconnect();
        health.setState('stopped');
        log.info({ sent }, 'simulated feed stopped');
      }
    },
  };
}

/** The simulated instruments, in the order of the round robin. */
export async function loadInstruments(pool: Pool, tokens: readonly number[]): Promise<SimulatedInstrument[]> {
  const { rows } = await pool.query<{
    instrument_token: number;
    tradingsymbol: string;
    exchange: string;
    tick_size_paise: number;
    last_price_paise: string | null;
  }>(
    `select instrument_token, tradingsymbol, exchange, tick_size_paise, last_price_paise
       from instruments
      -- Simulated prices move in whole paise: instruments quoted finer (currency) or not traded
      -- (indices) from the synced instrument master are left out.
      where tick_size_paise is not null and lot_size > 0
        and (cardinality($1::int[]) = 0 or instrument_token = any($1::int[]))
      order by instrument_token`,
    [tokens],
  );
  if (rows.length === 0) {
    throw new Error(
      tokens.length > 0
        ? `none of MARKET_FEED__INSTRUMENTS (${tokens.join(',')}) is in the instruments table`
        : "the instruments table is empty: run 'alpha-panda seed'",
    );
  }
  return rows.map((row) => ({
    instrumentToken: row.instrument_token,
    tradingsymbol: row.tradingsymbol,
    exchange: row.exchange,
    tickSize: paise(row.tick_size_paise),
    startPrice: row.last_price_paise === null ? DEFAULT_START_PRICE : paise(Number(row.last_price_paise)),
  }));
}
