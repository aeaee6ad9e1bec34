// How every tick reaches market.ticks, from the feeds (and from the harnesses that stand in for
// them): its price first, where the stages that read prices rather than ticks find it
// (core/redis/last-prices.ts), then the log. In that order, a signal made from one of these ticks
// always finds its price, or a later one.
import type { Redis } from 'ioredis';
import type { Envelope } from '../../core/domain/events';
import type { EventMessage, EventProducer } from '../../core/kafka/producer';
import { recordLastPrices } from '../../core/redis/last-prices';

export interface TickTarget {
  producer: Pick<EventProducer, 'sendBatch'>;
  redis: Pick<Redis, 'hset'>;
  /** market.ticks (a prefixed twin in tests). */
  topic: string;
}

/** One produce call, keyed by instrument token. */
export async function publishTicks({ producer, redis, topic }: TickTarget, ticks: readonly Envelope<'tick_received'>[]): Promise<void> {
  if (ticks.length === 0) return;
  await recordLastPrices(redis, topic, ticks);
  const messages: EventMessage[] = ticks.map((envelope) => ({ topic, key: String(envelope.data.instrumentToken), envelope }));
  await producer.sendBatch(messages);
}
