// Broker namespaces and the streaming services that run in them. Paper and Zerodha never share
// a topic, consumer group, Redis key or order row; the market feed is shared by both.

export const BROKER_NAMESPACES = ['paper', 'zerodha'] as const;
export type BrokerNamespace = (typeof BROKER_NAMESPACES)[number];

export function isBrokerNamespace(value: unknown): value is BrokerNamespace {
  return typeof value === 'string' && (BROKER_NAMESPACES as readonly string[]).includes(value);
}

/** Services that run once per namespace, in the order the startup workflow starts them. */
export const NAMESPACE_SERVICES = [
  'portfolio-manager',
  'trading-engine',
  'risk-manager',
  'strategy-runner',
  'pipeline-monitor',
] as const;
export type NamespaceService = (typeof NAMESPACE_SERVICES)[number];

/** The market feed belongs to the account, not to a namespace. */
export const SHARED_SERVICES = ['market-feed'] as const;
export type SharedService = (typeof SHARED_SERVICES)[number];

export type ServiceName = NamespaceService | SharedService;
export const ALL_SERVICES: readonly ServiceName[] = [...SHARED_SERVICES, ...NAMESPACE_SERVICES];

export function isServiceName(value: unknown): value is ServiceName {
  return typeof value === 'string' && (ALL_SERVICES as readonly string[]).includes(value);
}

/** Kafka consumer group of a namespace service: `alpha-panda.{ns}.{service}`. */
export function consumerGroup(namespace: BrokerNamespace, service: NamespaceService): string {
  return `alpha-panda.${namespace}.${service}`;
}
