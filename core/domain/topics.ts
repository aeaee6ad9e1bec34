// The one table of Kafka topics. Creation (bootstrap), producers, consumers and the pipeline
// monitor all read it; nothing else spells a topic name.
import type { EventType } from './events';
import { BROKER_NAMESPACES, type BrokerNamespace, type NamespaceService } from './namespace';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  /** What the message key is, for the reader of this table. */
  readonly key: string;
  readonly namespace: BrokerNamespace | 'shared';
}

/** Shared by both namespaces: the account's market data. */
export const MARKET_TICKS = 'market.ticks';

/**
 * The topics of a namespace. `prefix` is empty in production; tests pass a unique one so that
 * parallel runs on one broker never read each other's events (the names stay this table's).
 */
export const namespaceTopics = (ns: BrokerNamespace, prefix = '') =>
  ({
    signalsRaw: `${prefix}${ns}.signals.raw`,
    signalsValidated: `${prefix}${ns}.signals.validated`,
    signalsRejected: `${prefix}${ns}.signals.rejected`,
    ordersSubmitted: `${prefix}${ns}.orders.submitted`,
    ordersFilled: `${prefix}${ns}.orders.filled`,
    ordersRejected: `${prefix}${ns}.orders.rejected`,
    ordersCancelled: `${prefix}${ns}.orders.cancelled`,
    pnlSnapshots: `${prefix}${ns}.pnl.snapshots`,
    contractNotes: `${prefix}${ns}.contract-notes`,
  }) as const;

export type NamespaceTopics = ReturnType<typeof namespaceTopics>;
export type NamespaceTopicRole = keyof NamespaceTopics;

/** `market.ticks`, or its prefixed twin in a test. */
export const marketTicksTopic = (prefix = '') => `${prefix}${MARKET_TICKS}`;

/** Dead-letter topic of a topic: poison messages with their origin and the error. */
export const dlqTopic = (topic: string) => `${topic}.dlq`;
export const isDlqTopic = (topic: string) => topic.endsWith('.dlq');

const namespaceTopicShape: Record<NamespaceTopicRole, { partitions: number; retentionMs: number; key: string }> = {
  signalsRaw: { partitions: 6, retentionMs: 7 * DAY_MS, key: 'strategyId:instrumentToken' },
  signalsValidated: { partitions: 6, retentionMs: 7 * DAY_MS, key: 'strategyId:instrumentToken' },
  signalsRejected: { partitions: 3, retentionMs: 7 * DAY_MS, key: 'strategyId:instrumentToken' },
  ordersSubmitted: { partitions: 6, retentionMs: 30 * DAY_MS, key: 'strategyId:instrumentToken' },
  ordersFilled: { partitions: 6, retentionMs: 30 * DAY_MS, key: 'strategyId:instrumentToken' },
  ordersRejected: { partitions: 6, retentionMs: 30 * DAY_MS, key: 'strategyId:instrumentToken' },
  ordersCancelled: { partitions: 6, retentionMs: 30 * DAY_MS, key: 'strategyId:instrumentToken' },
  pnlSnapshots: { partitions: 3, retentionMs: 30 * DAY_MS, key: 'strategyId' },
  // One note per trading day; kept a year, the span a trader reconciles against.
  contractNotes: { partitions: 1, retentionMs: 365 * DAY_MS, key: 'tradingDate' },
};

const DLQ_RETENTION_MS = 30 * DAY_MS;

/** Every topic of a namespace (and the shared ones), DLQs included. */
export function topicSpecs(namespaces: readonly BrokerNamespace[] = BROKER_NAMESPACES, prefix = ''): TopicSpec[] {
  const base: TopicSpec[] = [
    { name: marketTicksTopic(prefix), partitions: 6, retentionMs: DAY_MS, key: 'instrumentToken', namespace: 'shared' },
  ];
  for (const ns of namespaces) {
    const names = namespaceTopics(ns, prefix);
    for (const role of Object.keys(names) as NamespaceTopicRole[]) {
      base.push({ name: names[role], namespace: ns, ...namespaceTopicShape[role] });
    }
  }
  const dlqs = base.map((spec) => ({ ...spec, name: dlqTopic(spec.name), partitions: 1, retentionMs: DLQ_RETENTION_MS }));
  return [...base, ...dlqs];
}

/** Message key of signals and orders: keeps one strategy-instrument's events on one partition. */
export const strategyInstrumentKey = (strategyId: string, instrumentToken: number) =>
  `${strategyId}:${instrumentToken}`;

/** The namespace stages that consume (the pipeline monitor only reads offsets). */
export type ConsumingStage = Exclude<NamespaceService, 'pipeline-monitor'>;

export interface StageInput {
  readonly topic: string;
  readonly types: readonly EventType[];
}

/**
 * What each stage of a namespace consumes: the one table the services subscribe from and the
 * pipeline monitor measures lag against (DESIGN: Data flow).
 */
export function stageInputs(namespace: BrokerNamespace, topics: NamespaceTopics, ticksTopic: string) {
  return {
    'strategy-runner': [
      { topic: ticksTopic, types: ['tick_received'] },
      // Fills give the runner the positions its strategies see; with the answers to its signals
      // (a rejection, an order's rejection or cancellation) they end what is pending.
      { topic: topics.ordersFilled, types: ['order_filled'] },
      { topic: topics.signalsRejected, types: ['signal_rejected'] },
      { topic: topics.ordersRejected, types: ['order_rejected'] },
      { topic: topics.ordersCancelled, types: ['order_cancelled'] },
    ],
    'risk-manager': [
      // Prices come from the feed's last prices (core/redis/last-prices.ts), not from the ticks.
      { topic: topics.signalsRaw, types: ['signal_generated'] },
      { topic: topics.ordersFilled, types: ['order_filled'] },
      // Rejected and cancelled orders end the pending quantity of an approval.
      { topic: topics.ordersRejected, types: ['order_rejected'] },
      { topic: topics.ordersCancelled, types: ['order_cancelled'] },
      { topic: topics.pnlSnapshots, types: ['pnl_snapshot'] },
    ],
    // The paper engine fills resting orders on ticks; at Zerodha the venue fills them and the
    // engine follows its order updates, so the zerodha engine has no use for the ticks.
    'trading-engine':
      namespace === 'paper'
        ? [
            { topic: topics.signalsValidated, types: ['signal_validated'] },
            { topic: ticksTopic, types: ['tick_received'] },
          ]
        : [{ topic: topics.signalsValidated, types: ['signal_validated'] }],
    'portfolio-manager': [
      { topic: topics.ordersFilled, types: ['order_filled'] },
      { topic: ticksTopic, types: ['tick_received'] },
      // The day's contract note corrects the per-fill charge estimates already booked.
      { topic: topics.contractNotes, types: ['contract_note_issued'] },
    ],
  } as const satisfies Record<ConsumingStage, readonly StageInput[]>;
}
