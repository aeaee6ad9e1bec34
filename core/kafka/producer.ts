// The typed event producer. Every envelope is validated before it leaves the process (an invalid
// one is refused with EventValidationError and nothing is sent), writes are acknowledged by all
// in-sync replicas, and the producer is idempotent so a retried send is not written twice. A
// send waits out a broker restart (BROKER_RETRY in client.ts) rather than failing at once.
import { Partitioners, type IHeaders, type Kafka, type Message, type Producer, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { EventValidationError, parseEnvelope, type Envelope } from '../domain/events';
import { BROKER_NAMESPACES } from '../domain/namespace';
import { assertIsolated } from './isolation';

export const EVENT_TYPE_HEADER = 'event-type';
export const EVENT_ID_HEADER = 'event-id';
export const CORRELATION_ID_HEADER = 'correlation-id';

/** acks = -1: the leader waits for every in-sync replica. */
const ACKS_ALL = -1;

export interface EventMessage {
  topic: string;
  key: string;
  envelope: Envelope;
}

export interface EventProducer {
  connect(): Promise<void>;
  send(topic: string, key: string, envelope: Envelope): Promise<RecordMetadata[]>;
  /** Validates every message first: one invalid envelope refuses the whole batch. */
  sendBatch(messages: readonly EventMessage[]): Promise<RecordMetadata[]>;
  /** Bytes as they are, unvalidated: for dead letters, which are invalid by nature. */
  sendRaw(record: ProducerRecord): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

/**
 * A namespace's topics (`paper.*`, `zerodha.*`) only carry that namespace's events, so a paper
 * event can never reach the live trading pipeline.
 */
export function assertTopicMatchesNamespace(topic: string, envelope: Pick<Envelope, 'namespace' | 'type'>): void {
  const owner = BROKER_NAMESPACES.find((ns) => topic.startsWith(`${ns}.`));
  if (owner && envelope.namespace !== owner) {
    throw new EventValidationError(`refusing to send ${envelope.type}`, [
      `topic ${topic} belongs to namespace ${owner}, the event to ${envelope.namespace}`,
    ]);
  }
}

/** The Kafka message for an envelope, after validating it. */
export function toMessage(topic: string, key: string, envelope: Envelope): Message {
  if (typeof key !== 'string' || key === '') {
    throw new EventValidationError(`refusing to send ${String(envelope?.type)}`, ['message key must be a non-empty string']);
  }
  const valid = parseEnvelope(envelope);
  assertTopicMatchesNamespace(topic, valid);
  const headers: IHeaders = {
    [EVENT_TYPE_HEADER]: valid.type,
    [EVENT_ID_HEADER]: valid.id,
    [CORRELATION_ID_HEADER]: valid.correlationId,
  };
  return { key, value: JSON.stringify(valid), headers };
}

export function createEventProducer(kafka: Kafka): EventProducer {
  const create = (): Producer =>
    kafka.producer({
      idempotent: true,
      // kafkajs keeps per-partition ordering of an idempotent producer only with one request in flight.
      maxInFlightRequests: 1,
      // A topic that bootstrap did not create is a mistake to report, not one to paper over with
      // the broker's defaults (one partition, default retention).
      allowAutoTopicCreation: false,
      // The Java client's murmur2 partitioner: the same key lands on the same partition whichever
      // client produced it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  let producer = create();
  let connected = false;
  // A send that failed after its retries (the broker gone for longer than BROKER_RETRY rides out)
  // may have been written or not, and kafkajs does not move the idempotent sequence on: the next
  // batch would reuse its numbers and the broker could take it for a duplicate and drop it. So a
  // failed send retires the producer, and the next send starts a new one (a new producer id).
  let retired = false;
  let replacing: Promise<void> | undefined;
  const replace = async () => {
    const old = producer;
    producer = create();
    retired = false;
    await old.disconnect().catch(() => undefined);
    await producer.connect();
  };
  async function sending<R>(send: (current: Producer) => Promise<R>): Promise<R> {
    if (retired) {
      replacing ??= replace().finally(() => (replacing = undefined));
      await replacing;
    }
    const current = producer;
    try {
      return await send(current);
    } catch (error) {
      if (connected && current === producer) retired = true;
      throw error;
    }
  }

  return {
    async connect() {
      await producer.connect();
      connected = true;
    },
    async disconnect() {
      connected = false;
      await replacing?.catch(() => undefined);
      await producer.disconnect();
    },
    send: (topic, key, envelope) => {
      assertIsolated({ topics: [topic] }, 'producer');
      const message = toMessage(topic, key, envelope);
      return sending((current) => current.send({ topic, acks: ACKS_ALL, messages: [message] }));
    },
    async sendBatch(messages) {
      if (messages.length === 0) return [];
      const byTopic = new Map<string, Message[]>();
      for (const { topic, key, envelope } of messages) {
        const list = byTopic.get(topic) ?? [];
        list.push(toMessage(topic, key, envelope));
        byTopic.set(topic, list);
      }
      assertIsolated({ topics: [...byTopic.keys()] }, 'producer');
      const topicMessages = [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
      return sending((current) => current.sendBatch({ acks: ACKS_ALL, topicMessages }));
    },
    sendRaw: (record) => {
      assertIsolated({ topics: [record.topic] }, 'producer');
      return sending((current) => current.send({ ...record, acks: ACKS_ALL }));
    },
  };
}
