// Effectively-once processing on an at-least-once log. A consumer checks which event ids it has
// not processed yet, and records the ids it processes inside the same MULTI that applies their
// effect, so the record and the effect commit together: a crash leaves both or neither.
import type { ChainableCommander, Redis } from 'ioredis';
import { namespacedKey, type KeyNamespace } from './keys';

/** Longer than any redelivery window (consumer restarts, replays of the last days). */
export const DEFAULT_DEDUP_TTL_SECONDS = 7 * 24 * 60 * 60;

/** `paper:dedup:risk-manager:<event id>` */
export function dedupKey(namespace: KeyNamespace, service: string, eventId: string): string {
  return namespacedKey(namespace, 'dedup', service, eventId);
}

/**
 * The ids among `ids` not yet marked processed, in their first order and without repeats.
 * One round trip (MGET), however many ids.
 */
export async function filterUnprocessed(
  redis: Pick<Redis, 'mget'>,
  namespace: KeyNamespace,
  service: string,
  ids: readonly string[],
): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const seen = await redis.mget(unique.map((id) => dedupKey(namespace, service, id)));
  return unique.filter((_, index) => seen[index] === null);
}

/**
 * Adds `SET <dedup key> <processed-at> EX <ttl>` for each id to the caller's MULTI; the caller
 * adds its effect to the same MULTI and runs `exec()`. Returns the MULTI for chaining.
 */
export function markProcessed(
  multi: ChainableCommander,
  namespace: KeyNamespace,
  service: string,
  ids: readonly string[],
  ttlSeconds: number = DEFAULT_DEDUP_TTL_SECONDS,
  processedAt: Date = new Date(),
): ChainableCommander {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`dedup TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
  const value = processedAt.toISOString();
  for (const id of ids) multi.set(dedupKey(namespace, service, id), value, 'EX', ttlSeconds);
  return multi;
}
