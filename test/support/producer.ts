// A producer for tests of processOnce that keeps what it was asked to send instead of sending it.
import type { EventMessage } from '../../core/kafka/producer';

export function recordingProducer(): { produced: EventMessage[]; producer: { sendBatch: (messages: readonly EventMessage[]) => Promise<[]> } } {
  const produced: EventMessage[] = [];
  return {
    produced,
    producer: {
      sendBatch: async (messages) => {
        produced.push(...messages);
        return [];
      },
    },
  };
}
