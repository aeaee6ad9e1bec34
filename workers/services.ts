// Which implementation runs for each service name. The only place that knows every service.
import type { ServiceFactory } from '../activities';
import type { Config } from '../core/config/load';
import { consumerGroup, type NamespaceService } from '../core/domain/namespace';
import { MARKET_TICKS, namespaceTopics } from '../core/domain/topics';
import type { EventType } from '../core/domain/events';
import { Resources } from '../core/resources';
import { createSimulatedMarketFeed } from '../services/market-feed/service';
import { createStageConsumer } from '../services/stage-consumer/service';

export function createServiceFactory(config: Config, resources: Resources = new Resources(config)): ServiceFactory {
  return (namespace, service) => {
    if (service === 'market-feed') {
      return createSimulatedMarketFeed({ config, kafka: resources.kafka(), postgres: resources.postgres() });
    }
    const topics = namespaceTopics(namespace);
    const inputs: Record<NamespaceService, { topic: string; types: readonly EventType[] }[]> = {
      'strategy-runner': [{ topic: MARKET_TICKS, types: ['tick_received'] }],
      'risk-manager': [{ topic: topics.signalsRaw, types: ['signal_generated'] }],
      'trading-engine': [{ topic: topics.signalsValidated, types: ['signal_validated'] }],
      'portfolio-manager': [{ topic: topics.ordersFilled, types: ['order_filled'] }],
      'pipeline-monitor': [{ topic: topics.pnlSnapshots, types: ['pnl_snapshot'] }],
    };
    return createStageConsumer({
      name: service,
      kafka: resources.kafka(),
      groupId: consumerGroup(namespace, service),
      subscriptions: inputs[service],
    });
  };
}
