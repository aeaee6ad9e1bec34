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
    // Nor does a command wait forever on a connection that is up but stuck: it fails after this
    // long, well inside a service's stall threshold (workflows/policy.ts). No command we use blocks.
    commandTimeout: 5_000,
    connectionName: 'alpha-panda',
    // Commands issued in the same turn of the event loop (a stage's reads of a batch, say) leave
    // in one write, not one system call each.
    enableAutoPipelining: true,
    ...redisTlsOptions(config),
  });
  return logConnectionErrors(redis);
}

/** A connection of its own with the same settings (WATCH needs one); its errors logged too. */
export function duplicateRedis(redis: Redis): Redis {
  return logConnectionErrors(redis.duplicate());
}

// Without a listener ioredis prints every reconnect failure to the console as an unhandled error
// event (a duplicate does not inherit the original's listeners).
function logConnectionErrors(redis: Redis): Redis {
  redis.on('error', (error: Error) => getLogger('error').warn({ err: error }, 'Redis connection error'));
  return redis;
}
