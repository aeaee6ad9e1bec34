// The live market feed: Kite's ticker (./kite-source) behind the market-data port, with the access
// token of the stored, encrypted Zerodha session read before every connection, so that a new
// login is picked up without a restart. The token never leaves this process's memory: not in
// logs, health or errors.
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { loadValidSession } from '../../core/broker/session-store';
import type { Config } from '../../core/config/load';
import { getLogger } from '../../core/logging';
import type { StreamingService } from '../../core/service';
import { KiteMarketData, type ReconnectBackoff } from './kite-source';
import { createLiveMarketFeed } from './live-feed';

export interface KiteMarketFeedDeps {
  config: Config;
  kafka: Kafka;
  postgres: Pool;
  ticksTopic: string;
  isMarketOpen: (at: Date) => boolean;
  /** Where the feed's coverage goes (./coverage). */
  redis?: Redis;
  now?: () => Date;
  backoff?: ReconnectBackoff;
}

export function createKiteMarketFeed(deps: KiteMarketFeedDeps): StreamingService {
  const log = getLogger('market_data').child({ service: 'market-feed', mode: 'kite' });
  const now = deps.now ?? (() => new Date());
  const source = new KiteMarketData({
    apiKey: deps.config.zerodha.apiKey,
    tickerRoot: deps.config.zerodha.tickerRoot,
    accessToken: async () => (await loadValidSession(deps.postgres, deps.config, now()))?.accessToken ?? null,
    log,
    backoff: deps.backoff,
  });
  return createLiveMarketFeed({
    source,
    kafka: deps.kafka,
    postgres: deps.postgres,
    ticksTopic: deps.ticksTopic,
    log,
    refreshIntervalMs: deps.config.strategies.refreshIntervalMs,
    staleMs: deps.config.marketFeed.staleMs,
    isMarketOpen: deps.isMarketOpen,
    redis: deps.redis,
    now: deps.now,
  });
}
