import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, MAX_REASON_LENGTH, deadLetterHeaders, deadLetterRecord, readDeadLetterHeaders } from './dead-letter';

const origin = { topic: 'paper.signals.raw', partition: 4, offset: '1234', groupId: 'alpha-panda.paper.risk-manager' };
const failedAt = new Date('2025-11-24T09:30:00.123Z');

describe('deadLetterHeaders', () => {
  it('records origin, reason, group and time with its zone', () => {
    expect(deadLetterHeaders(origin, 'invalid envelope: id: Invalid UUID', failedAt)).toEqual({
      'dlq-origin-topic': 'paper.signals.raw',
      'dlq-origin-partition': '4',
      'dlq-origin-offset': '1234',
      'dlq-reason': 'invalid envelope: id: Invalid UUID',
      'dlq-consumer-group': 'alpha-panda.paper.risk-manager',
      'dlq-failed-at': '2025-11-24T09:30:00.123Z',
    });
  });

  it('shortens a very long reason', () => {
    const reason = deadLetterHeaders(origin, 'x'.repeat(MAX_REASON_LENGTH * 2), failedAt)['dlq-reason']!;
    expect(reason).toHaveLength(MAX_REASON_LENGTH);
    expect(reason.endsWith('…')).toBe(true);
  });
});

describe('deadLetterRecord', () => {
  const key = Buffer.from('momentum_reliance:738561');
  const value = Buffer.from([0x7b, 0xff, 0x00, 0x7d]); // not even UTF-8

  it('goes to the DLQ of the origin topic with the original bytes', () => {
    const record = deadLetterRecord({ key, value, headers: {} }, origin, 'value is not JSON', failedAt);
    expect(record.topic).toBe('paper.signals.raw.dlq');
    expect(record.message.key).toBe(key);
    expect(Buffer.compare(record.message.value as Buffer, value)).toBe(0);
  });

  it('keeps the original headers and replaces dlq-* headers of an earlier failure', () => {
    const headers = {
      'event-type': Buffer.from('signal_generated'),
      [DLQ_HEADERS.reason]: Buffer.from('an earlier failure'),
      [DLQ_HEADERS.originOffset]: Buffer.from('1'),
    };
    const record = deadLetterRecord({ key, value, headers }, origin, 'handler failed 5 times: boom', failedAt);
    expect(record.message.headers?.['event-type']?.toString()).toBe('signal_generated');
    expect(readDeadLetterHeaders(record.message.headers)).toEqual({
      originTopic: 'paper.signals.raw',
      originPartition: '4',
      originOffset: '1234',
      reason: 'handler failed 5 times: boom',
      consumerGroup: 'alpha-panda.paper.risk-manager',
      failedAt: '2025-11-24T09:30:00.123Z',
    });
  });

  it('keeps a null key null', () => {
    expect(deadLetterRecord({ key: null, value, headers: undefined }, origin, 'r', failedAt).message.key).toBeNull();
  });
});
