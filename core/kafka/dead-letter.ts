// Dead letters: a message a consumer cannot use goes to `<topic>.dlq` with its original key, value
// and headers, plus headers saying where it came from and why it failed, so it can be inspected
// and replayed byte for byte.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { dlqTopic } from '../domain/topics';

export const DLQ_HEADERS = {
  originTopic: 'dlq-origin-topic',
  originPartition: 'dlq-origin-partition',
  originOffset: 'dlq-origin-offset',
  reason: 'dlq-reason',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
} as const;

/** Long enough for a validation report, short enough to keep a header reasonable. */
export const MAX_REASON_LENGTH = 4000;

export interface DeadLetterOrigin {
  topic: string;
  partition: number;
  offset: string;
  groupId: string;
}

export function truncateReason(reason: string): string {
  return reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…`;
}

export function deadLetterHeaders(origin: DeadLetterOrigin, reason: string, failedAt: Date): Record<string, string> {
  return {
    [DLQ_HEADERS.originTopic]: origin.topic,
    [DLQ_HEADERS.originPartition]: String(origin.partition),
    [DLQ_HEADERS.originOffset]: origin.offset,
    [DLQ_HEADERS.reason]: truncateReason(reason),
    [DLQ_HEADERS.consumerGroup]: origin.groupId,
    // toISOString is always UTC and says so with its trailing Z.
    [DLQ_HEADERS.failedAt]: failedAt.toISOString(),
  };
}

/** The record to send: original key and value bytes, original headers, then the dlq-* headers. */
export function deadLetterRecord(
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>,
  origin: DeadLetterOrigin,
  reason: string,
  failedAt: Date = new Date(),
): { topic: string; message: Message } {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    // A dead letter replayed and failing again gets fresh dlq-* headers, not two sets.
    if (value !== undefined && !name.startsWith('dlq-')) headers[name] = value;
  }
  Object.assign(headers, deadLetterHeaders(origin, reason, failedAt));
  return { topic: dlqTopic(origin.topic), message: { key: message.key, value: message.value, headers } };
}

/** Reads the dlq-* headers back (for tooling and the pipeline monitor). */
export function readDeadLetterHeaders(headers: IHeaders | undefined): Partial<Record<keyof typeof DLQ_HEADERS, string>> {
  const result: Partial<Record<keyof typeof DLQ_HEADERS, string>> = {};
  for (const [field, name] of Object.entries(DLQ_HEADERS) as [keyof typeof DLQ_HEADERS, string][]) {
    const value = headers?.[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[field] = first.toString();
  }
  return result;
}
