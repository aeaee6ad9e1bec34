// Which implementation runs for each service name: the only place that knows every service.
// Production uses the topic table as it is; tests and the benchmark pass a topic prefix (and
// their own database and Redis through the config) and get exactly the same composition.
import type { ServiceFactory } from '../activities';
import { marketCalendarFor } from '../core/calendar/load';
import { eventClock } from '../core/clock';
import type { Config } from '../core/config/load';
import { isMarketOpen } from '../core/domain/market-hours';
import { consumerGroup, type BrokerNamespace } from '../core/domain/namespace';
import { marketTicksTopic, namespaceTopics, stageInputs, type ConsumingStage, type NamespaceTopics } from '../core/domain/topics';
import { Resources } from '../core/resources';
import type { StreamingService } from '../core/service';
import { createKiteMarketFeed } from '../services/market-feed/kite-feed';
import { createSimulatedMarketFeed } from '../services/market-feed/service';
import { createPipelineMonitorService } from '../services/pipeline-monitor/service';
import { createPortfolioManagerService } from '../services/portfolio-manager/service';
import { createRiskManagerService } from '../services/risk-manager/service';
import { createStageConsumer } from '../services/stage-consumer/service';
import { createStrategyRunnerService } from '../services/strategy-runner/service';
import { createKiteBrokerAdapter } from '../services/trading-engine/kite-broker-adapter';
import { createTradingEngineService } from '../services/trading-engine/service';
import { getLogger } from '../core/logging';

export interface ServiceFactoryOptions {
  /** Prefix of every topic name; default REDPANDA__TOPIC_PREFIX (empty in production). */
  topicPrefix?: string;
  /** Prefix of every consumer group; default REDPANDA__TOPIC_PREFIX (empty in production). */
  groupPrefix?: string;
  /**
   * Where a new consumer group starts. Production starts at the latest offset (an old validated
   * signal must never become an order); tests and the benchmark read their fresh topics whole.
   */
  fromBeginning?: boolean;
}

export function createServiceFactory(
  config: Config,
  resources: Resources = new Resources(config),
  options: ServiceFactoryOptions = {},
): ServiceFactory {
  const prefix = options.topicPrefix ?? config.redpanda.topicPrefix;
  const groupPrefix = options.groupPrefix ?? config.redpanda.topicPrefix;
  const now = eventClock(config);
  return (namespace, service) => {
    if (service === 'market-feed') {
      const feedDeps = { config, kafka: resources.kafka(), postgres: resources.postgres(), redis: resources.redis(), ticksTopic: marketTicksTopic(prefix), now };
      // With Zerodha enabled the shared feed is Kite's, whichever namespace starts it. Before the
      // first login it waits for a stored session (its health says so) rather than falling back
      // to simulated prices, which must never reach the topic the live account trades on.
      if (config.zerodha.enabled) {
        return createKiteMarketFeed({ ...feedDeps, isMarketOpen: (at) => isMarketOpen(at, marketCalendarFor(config)) });
      }
      return createSimulatedMarketFeed(feedDeps);
    }
    const deps = {
      config,
      namespace,
      kafka: resources.kafka(),
      redis: resources.redis(),
      postgres: resources.postgres(),
      topics: namespaceTopics(namespace, prefix),
      ticksTopic: marketTicksTopic(prefix),
      groupId: `${groupPrefix}${consumerGroup(namespace, service)}`,
      fromBeginning: options.fromBeginning ?? false,
      now,
    };
    switch (service) {
      case 'portfolio-manager':
        return createPortfolioManagerService(deps);
      case 'strategy-runner':
        return createStrategyRunnerService(deps);
      case 'risk-manager':
        return createRiskManagerService(deps);
      case 'pipeline-monitor':
        // It reads offsets rather than consuming, so it watches the groups of the other stages.
        return createPipelineMonitorService({
          ...deps,
          groupFor: (stage) => `${groupPrefix}${consumerGroup(namespace, stage)}`,
          isMarketOpen: (at) => isMarketOpen(at, marketCalendarFor(config)),
        });
      case 'trading-engine':
        if (namespace === 'paper') return createTradingEngineService(deps);
        // The same engine with the Kite adapter: live orders only with Zerodha enabled.
        if (config.zerodha.enabled) {
          const log = getLogger('trading').child({ service, namespace, broker: 'kite' });
          return createTradingEngineService({ ...deps, broker: createKiteBrokerAdapter({ config, namespace, redis: deps.redis, postgres: deps.postgres, log }) });
        }
        return consumingStandIn(namespace, service, deps);
    }
  };
}

/** A stage that consumes and acknowledges its inputs without acting on them (see stage-consumer). */
function consumingStandIn(
  namespace: BrokerNamespace,
  service: ConsumingStage,
  deps: { kafka: ReturnType<Resources['kafka']>; topics: NamespaceTopics; ticksTopic: string; groupId: string },
): StreamingService {
  return createStageConsumer({
    name: `${service} (${namespace})`,
    kafka: deps.kafka,
    groupId: deps.groupId,
    subscriptions: stageInputs(namespace, deps.topics, deps.ticksTopic)[service],
  });
}
