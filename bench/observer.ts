// Watches the trades of a benchmark run go by: every signal, decision, order and fill, keyed by
// the correlation id they share with the tick that started the trade. Each hop's latency is the
// difference of the Kafka timestamps (CreateTime, stamped by the producing client when it sends)
// of the first message of a trade on consecutive topics; tick-to-fill is the fill's arrival here
// minus the tick's send time, so it spans every stage and the last broker hop as well.
import { BROKER_RETRY } from '../core/kafka/client';
import type { Consumer } from 'kafkajs';
import type { BenchEnvironment } from './environment';
import { behindPendingOrder } from './pending-orders';

/** The hops of a trade, in data-flow order, and the topics each one goes from and to. */
export const HOPS = ['feed-to-strategy', 'strategy-to-risk', 'risk-to-engine', 'engine-to-fill'] as const;
export type Hop = (typeof HOPS)[number];

export const STOPS = ['raw', 'validated', 'submitted', 'filled'] as const;
export type Stop = (typeof STOPS)[number];

export interface TradeObserver {
  counts: { fills: number };
  /** Tick-to-fill latencies (ms), one per fill whose originating tick this run sent. */
  fillLatenciesMs: number[];
  /** Each hop's latencies (ms), one per trade that made it across. */
  hopLatencies(): Record<Hop, number[]>;
  /**
   * The trades whose view was taken while their strategy-instrument's previous order was unfilled
   * (see pending-orders.ts), and the tick-to-fill latencies (ms) of the other filled trades.
   */
  pendingOrders(): { trades: number; behind: number; aloneFillLatenciesMs: number[] };
  /**
   * Per topic, how long after it was sent a trade's first message there reached this observer (ms):
   * the delivery a consumer in a process of its own gets, to set against the stages' fetch ages.
   */
  deliveries: Record<Stop, number[]>;
  stop(): Promise<void>;
}

/** Starts observing from the beginning of the run's topics; resolves once the group has joined. */
export async function startTradeObserver(env: BenchEnvironment, tickTimes: ReadonlyMap<string, number>): Promise<TradeObserver> {
  const stopOf = new Map<string, Stop>([
    [env.topics.signalsRaw, 'raw'],
    [env.topics.signalsValidated, 'validated'],
    [env.topics.ordersSubmitted, 'submitted'],
    [env.topics.ordersFilled, 'filled'],
  ]);
  const consumer: Consumer = env.kafka.consumer({ groupId: env.groupFor('fill-observer'), maxWaitTimeInMs: 100, retry: BROKER_RETRY });
  const counts = { fills: 0 };
  const fillLatenciesMs: number[] = [];
  const deliveries: Record<Stop, number[]> = { raw: [], validated: [], submitted: [], filled: [] };
  /** correlation id -> the CreateTime of the trade's first message at each stop. */
  const trades = new Map<string, Partial<Record<Stop, number>>>();
  /** correlation id -> the trade's strategy-instrument (its messages' key) and its tick-to-fill. */
  const tradeOf = new Map<string, { key: string; fillLatencyMs?: number }>();
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [...stopOf.keys()], fromBeginning: true });
  await consumer.run({
    // No commits: the group is the run's own and reads from the beginning. kafkajs' default
    // commits after every batch, and that request sits in front of the next fetch on the
    // broker's connection: it added about 40 ms to every fill's arrival here at 200 ticks/s.
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      const arrivedAt = Date.now();
      const stop = stopOf.get(batch.topic)!;
      for (const message of batch.messages) {
        const { correlationId } = JSON.parse(message.value!.toString('utf8')) as { correlationId: string };
        const trade = trades.get(correlationId) ?? {};
        if (trade[stop] === undefined) {
          trade[stop] = Number(message.timestamp);
          deliveries[stop].push(arrivedAt - trade[stop]);
        }
        trades.set(correlationId, trade);
        const about = tradeOf.get(correlationId) ?? { key: message.key?.toString('utf8') ?? '' };
        tradeOf.set(correlationId, about);
        if (stop !== 'filled') continue;
        counts.fills++;
        const sentAt = tickTimes.get(correlationId);
        if (sentAt === undefined) continue;
        fillLatenciesMs.push(arrivedAt - sentAt);
        about.fillLatencyMs ??= arrivedAt - sentAt;
      }
    },
  });
  await joined;
  return {
    counts,
    fillLatenciesMs,
    deliveries,
    hopLatencies: () => {
      const hops: Record<Hop, number[]> = { 'feed-to-strategy': [], 'strategy-to-risk': [], 'risk-to-engine': [], 'engine-to-fill': [] };
      for (const [correlationId, trade] of trades) {
        const tick = tickTimes.get(correlationId);
        const add = (hop: Hop, from: number | undefined, to: number | undefined) => {
          if (from !== undefined && to !== undefined) hops[hop].push(to - from);
        };
        add('feed-to-strategy', tick, trade.raw);
        add('strategy-to-risk', trade.raw, trade.validated);
        add('risk-to-engine', trade.validated, trade.submitted);
        add('engine-to-fill', trade.submitted, trade.filled);
      }
      return hops;
    },
    pendingOrders: () => {
      const sent = [...tradeOf].flatMap(([correlationId, { key, fillLatencyMs }]) => {
        const tickSentAt = tickTimes.get(correlationId);
        return tickSentAt === undefined ? [] : [{ key, tickSentAt, filledAt: trades.get(correlationId)?.filled, fillLatencyMs }];
      });
      const behind = behindPendingOrder(sent);
      const alone = sent.filter((trade) => !behind.has(trade) && trade.fillLatencyMs !== undefined);
      return { trades: sent.length, behind: behind.size, aloneFillLatenciesMs: alone.map((trade) => trade.fillLatencyMs!) };
    },
    stop: () => consumer.disconnect(),
  };
}
