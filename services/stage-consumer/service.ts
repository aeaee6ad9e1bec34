// A namespace stage that consumes its input topics through the validating consumer (DLQ for bad
// messages, offsets committed after handling) and records health, but takes no trading action.
// It stands in for a stage whose trading logic is not wired yet, so the supervisors, heartbeats,
// dead-lettering and clean shutdown run on the real topics.
import type { Kafka } from 'kafkajs';
import type { EventType } from '../../core/domain/events';
import { runEventConsumer } from '../../core/kafka/consumer';
import { createEventProducer } from '../../core/kafka/producer';
import { HealthTracker, type StreamingService } from '../../core/service';

export interface StageConsumerOptions {
  name: string;
  kafka: Kafka;
  groupId: string;
  subscriptions: { topic: string; types: readonly EventType[] }[];
}

export function createStageConsumer(options: StageConsumerOptions): StreamingService {
  const health = new HealthTracker();
  return {
    name: options.name,
    health: () => health.snapshot(),
    async start(signal) {
      const dlqProducer = createEventProducer(options.kafka);
      await dlqProducer.connect();
      health.setState('running', `consuming ${options.subscriptions.map((s) => s.topic).join(', ')}`);
      try {
        await runEventConsumer({
          kafka: options.kafka,
          groupId: options.groupId,
          subscriptions: options.subscriptions,
          dlqProducer,
          signal,
          handleBatch: async (events) => health.recordProcessed(events.length),
          onProgress: (progress) => {
            health.recordOffsets(progress.lastOffsets);
          },
        });
      } finally {
        await dlqProducer.disconnect();
        health.setState('stopped');
      }
    },
  };
}
