import { describe, expect, it } from 'vitest';
import { createEvent } from '../domain/events';
import { makeSignal, makeTick } from '../domain/trading/testing';
import { decodeEvent } from './consumer';

const tick = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000) });
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeEvent', () => {
  it('accepts a valid envelope of an expected type', () => {
    const decoded = decodeEvent(bytes(tick), ['tick_received']);
    expect(decoded).toEqual({ ok: true, envelope: tick });
  });

  it('says why a message is unusable', () => {
    expect(decodeEvent(null, ['tick_received'])).toEqual({ ok: false, reason: 'message has no value' });
    expect(decodeEvent(bytes('{"id":'), ['tick_received'])).toMatchObject({ ok: false, reason: expect.stringMatching(/^value is not JSON/) });
    expect(decodeEvent(bytes({ ...tick, correlationId: 'x' }), ['tick_received'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/invalid envelope: correlationId/),
    });
    expect(decodeEvent(bytes({ ...tick, data: { ...tick.data, lastPrice: 2500.5 } }), ['tick_received'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/invalid tick_received data: data\.lastPrice/),
    });
  });

  it('refuses a valid event of a type the subscription does not take', () => {
    const signal = createEvent({ type: 'signal_generated', source: 's', namespace: 'paper', data: makeSignal() });
    expect(decodeEvent(bytes(signal), ['tick_received'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/unexpected event type.*got signal_generated, expected tick_received/),
    });
  });
});
