import { describe, expect, it } from 'vitest';
import { createEvent, EventValidationError, type Envelope } from '../domain/events';
import { makeSignal } from '../domain/trading/testing';
import { CORRELATION_ID_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, toMessage } from './producer';

const signal = (namespace: Envelope['namespace']) =>
  createEvent({ type: 'signal_generated', source: 'strategy-runner', namespace, data: makeSignal() });

describe('toMessage', () => {
  it('serialises a valid envelope with its type, id and correlation headers', () => {
    const envelope = signal('paper');
    const message = toMessage('paper.signals.raw', 'momentum-1:738561', envelope);
    expect(message.key).toBe('momentum-1:738561');
    expect(JSON.parse(message.value as string)).toEqual(envelope);
    expect(message.headers).toEqual({
      [EVENT_TYPE_HEADER]: 'signal_generated',
      [EVENT_ID_HEADER]: envelope.id,
      [CORRELATION_ID_HEADER]: envelope.correlationId,
    });
  });

  it('refuses an envelope whose data breaks its schema', () => {
    const envelope = signal('paper');
    const broken = { ...envelope, data: { ...envelope.data, quantity: -5 } } as Envelope;
    expect(() => toMessage('paper.signals.raw', 'k', broken)).toThrow(EventValidationError);
    expect(() => toMessage('paper.signals.raw', 'k', broken)).toThrow(/data\.quantity/);
  });

  it('refuses an envelope without a UUIDv7 id', () => {
    const broken = { ...signal('paper'), id: 'not-a-uuid' };
    expect(() => toMessage('paper.signals.raw', 'k', broken)).toThrow(/invalid envelope/);
  });

  it('refuses to put one namespace event on the other namespace topic', () => {
    expect(() => toMessage('zerodha.signals.raw', 'k', signal('paper'))).toThrow(/belongs to namespace zerodha/);
    expect(() => toMessage('paper.signals.raw', 'k', signal('zerodha'))).toThrow(/belongs to namespace paper/);
  });

  it('refuses a message without a key', () => {
    expect(() => toMessage('paper.signals.raw', '', signal('paper'))).toThrow(/non-empty/);
  });
});
