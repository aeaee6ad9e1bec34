// A namespace stage that consumes its input topics through the validating consumer (DLQ for bad
// messages, offsets committed after handling) and records health, but takes no trading action.
// It stands in for a stage whose trading logic is not wired, so the supervisors, heartbeats,
// dead-lettering and clean shutdown still run on the real topics.
import type { Kafka } from 'kafkajs';
import type { EventType } from '../../core/domain/events';
import { getLogger } from '../../core/logging';
import { runStageLoop } from '../../core/pipeline/stage';
import { HealthTracker, type StreamingService } from '../../core/service';

export interface StageConsumerOptions {
  name: string;
  kafka: Kafka;
  groupId: string;
  subscriptions: readonly { topic: string; types: readonly EventType[] }[];
}

export function createStageConsumer(options: StageConsumerOptions): StreamingService {
  const health = new HealthTracker();
  return {
    name: options.name,
    health: () => health.snapshot(),
    start: (signal) =>
      runStageLoop({
        kafka: options.kafka,
        groupId: options.groupId,
        subscriptions: options.subscriptions,
        signal,
        health,
        log: getLogger('application').child({ service: options.name }),
        handleBatch: async (events) => health.recordProcessed(events.length),
      }),
  };
}
