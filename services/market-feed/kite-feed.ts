// The live market feed: Kite's ticker (./kite-source) behind the market-data port, with the access
// token of the stored, encrypted Zerodha session read before every connection and while connected,
// so that a new login is picked up without a restart and a session that expired or was refused
// elsewhere closes the connection. A token the ticker refuses is marked invalid in the store. The token never leaves this process's memory: not in
// logs, health or errors.
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { loadValidSession, markSessionRefused } from '../../core/broker/session-store';
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
  /** Where the feed's coverage (./coverage) and last prices (core/redis/last-prices.ts) go. */
  redis: Redis;
  now?: () => Date;
  backoff?: ReconnectBackoff;
  /** How often the session store is read (see KiteMarketDataOptions.sessionPollMs). */
  sessionPollMs?: number;
}

export function createKiteMarketFeed(deps: KiteMarketFeedDeps): StreamingService {
  const log = getLogger('market_data').child({ service: 'market-feed', mode: 'kite' });
  const now = deps.now ?? (() => new Date());
  // The sessions handed out, by token, so that a refusal on the ticker marks the right one invalid.
  const sessionIds = new Map<string, string>();
  const source = new KiteMarketData({
    apiKey: deps.config.zerodha.apiKey,
    tickerRoot: deps.config.zerodha.tickerRoot,
    accessToken: async () => {
      const session = await loadValidSession(deps.postgres, deps.config, now());
      if (!session) return null;
      sessionIds.set(session.accessToken, session.id);
      return session.accessToken;
    },
    onTokenRefused: async (accessToken) => {
      const id = sessionIds.get(accessToken);
      sessionIds.delete(accessToken);
      if (id !== undefined) await markSessionRefused(deps.postgres, id, now());
    },
    log,
    backoff: deps.backoff,
    sessionPollMs: deps.sessionPollMs,
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
