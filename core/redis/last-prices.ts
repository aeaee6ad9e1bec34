// Each instrument's last traded price, as the market feed last published it: a hash per ticks
// topic (shared by both namespaces, as market.ticks is), token -> JSON { price (paise), at (ISO) }.
//
// The feed writes a batch's prices before it sends the batch, so any signal made from a tick
// finds that tick's price here, or a later one. Stages that only need the latest price (the risk
// manager's price band and the approval price of market orders) read it here, once per batch,
// instead of consuming every tick of the market: at the Kite ceiling that is 10,000 messages a
// second each such stage no longer fetches, decodes and commits.
import type { Redis } from 'ioredis';
import type { Envelope } from '../domain/events';
import { namespacedKey } from './keys';

export interface LastPrice {
  /** Paise. */
  price: number;
  /** The exchange's time of the tick, or when the feed received it (ISO with zone). */
  at: string;
}

export const lastPricesKey = (ticksTopic: string) => namespacedKey('shared', 'market-feed', 'last-prices', ticksTopic);

/** The latest of `ticks` per instrument, in one HSET; the envelope's time stands in for a missing exchange time. */
export async function recordLastPrices(redis: Pick<Redis, 'hset'>, ticksTopic: string, ticks: readonly Envelope<'tick_received'>[]): Promise<void> {
  if (ticks.length === 0) return;
  const latest: Record<string, string> = {};
  for (const { data, ts } of ticks) {
    latest[String(data.instrumentToken)] = JSON.stringify({ price: data.lastPrice, at: data.exchangeTimestamp ?? ts } satisfies LastPrice);
  }
  await redis.hset(lastPricesKey(ticksTopic), latest);
}

/** The last prices of `tokens` that the feed has published; an instrument never published is absent. */
export async function readLastPrices(redis: Pick<Redis, 'hmget'>, ticksTopic: string, tokens: readonly number[]): Promise<Record<string, LastPrice>> {
  const { hmget, fields } = lastPricesRead(ticksTopic, tokens);
  if (fields.length === 0) return {};
  const values = await redis.hmget(hmget, ...fields);
  return parseLastPrices(Object.fromEntries(fields.map((token, index) => [token, values[index] ?? null])));
}

/** The HMGET that readLastPrices makes, for a stage that makes it with its other reads. */
export const lastPricesRead = (ticksTopic: string, tokens: readonly number[]) => ({ hmget: lastPricesKey(ticksTopic), fields: [...new Set(tokens.map(String))] });

/** The prices in `values` (token -> the hash's value, null where absent). */
export function parseLastPrices(values: Readonly<Record<string, string | null>>): Record<string, LastPrice> {
  const prices: Record<string, LastPrice> = {};
  for (const [token, text] of Object.entries(values)) if (text !== null) prices[token] = JSON.parse(text) as LastPrice;
  return prices;
}
