// Dedup helpers against the real Redis. Every key this file writes carries a run id in its
// service part and is deleted afterwards, so parallel runs do not see each other.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { createRedis, type Redis } from '../core/redis/client';
import { DEFAULT_DEDUP_TTL_SECONDS, dedupKey, filterUnprocessed, markProcessed } from '../core/redis/dedup';
import { namespacedKey } from '../core/redis/keys';
import { testConfig } from './support/stack';

const service = `it-dedup-${randomUUID().slice(0, 8)}`;
let redis: Redis;

beforeAll(() => {
  redis = createRedis(testConfig());
});
afterAll(async () => {
  for (const ns of ['paper', 'zerodha']) {
    const keys = await redis.keys(`${ns}:*${service}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

describe('dedup', () => {
  it('filters ids marked in the same MULTI as their effect', async () => {
    const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
    const effectKey = namespacedKey('paper', 'it', service, 'effect');
    expect(await filterUnprocessed(redis, 'paper', service, [a, b, c])).toEqual([a, b, c]);

    const multi = redis.multi().hincrby(effectKey, 'fills', 2);
    markProcessed(multi, 'paper', service, [a, b]);
    const results = await multi.exec();
    expect(results?.every(([error]) => error === null)).toBe(true);

    expect(await redis.hget(effectKey, 'fills')).toBe('2');
    expect(await filterUnprocessed(redis, 'paper', service, [a, b, c, c, a])).toEqual([c]);
  });

  it('keeps each record for the TTL, seven days unless told', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await markProcessed(redis.multi(), 'paper', service, [a]).exec();
    await markProcessed(redis.multi(), 'paper', service, [b], 60).exec();
    const ttlA = await redis.ttl(dedupKey('paper', service, a));
    const ttlB = await redis.ttl(dedupKey('paper', service, b));
    expect(ttlA).toBeGreaterThan(DEFAULT_DEDUP_TTL_SECONDS - 60);
    expect(ttlA).toBeLessThanOrEqual(DEFAULT_DEDUP_TTL_SECONDS);
    expect(ttlB).toBeGreaterThan(0);
    expect(ttlB).toBeLessThanOrEqual(60);
  });

  it('marks nothing when the MULTI is discarded', async () => {
    const id = uuidv7();
    const multi = markProcessed(redis.multi(), 'paper', service, [id]);
    multi.discard();
    expect(await filterUnprocessed(redis, 'paper', service, [id])).toEqual([id]);
  });

  it('keeps the namespaces apart', async () => {
    const id = uuidv7();
    await markProcessed(redis.multi(), 'paper', service, [id]).exec();
    expect(await filterUnprocessed(redis, 'paper', service, [id])).toEqual([]);
    expect(await filterUnprocessed(redis, 'zerodha', service, [id])).toEqual([id]);
    expect(await redis.exists(`paper:dedup:${service}:${id}`)).toBe(1);
    expect(await redis.exists(`zerodha:dedup:${service}:${id}`)).toBe(0);
  });

  it('returns nothing for no ids', async () => {
    expect(await filterUnprocessed(redis, 'paper', service, [])).toEqual([]);
  });
});
