// The Redis client (ioredis). One connection per process is enough: ioredis pipelines commands.
import { Redis } from 'ioredis';
import { getLogger } from '../logging';
import { redisTlsOptions, type RedisSettings } from './tls';

export type { Redis } from 'ioredis';

export function createRedis(config: RedisSettings): Redis {
  const redis = new Redis(config.redis.url, {
    // A command waiting on a lost connection fails after a few reconnect attempts instead of
    // hanging; callers treat that as an outage and retry.
    maxRetriesPerRequest: 3,
    connectionName: 'alpha-panda',
    ...redisTlsOptions(config),
  });
  // Without a listener ioredis reports every reconnect failure as an unhandled error event.
  redis.on('error', (error: Error) => getLogger('error').warn({ err: error }, 'Redis connection error'));
  return redis;
}
