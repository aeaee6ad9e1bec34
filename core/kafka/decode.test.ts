import { describe, expect, it } from 'vitest';
import { createEvent } from '../domain/events';
import { makeTick } from '../domain/trading/testing';
import { decodeMessage } from './decode';

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decodeMessage', () => {
  const tick = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000) });
  const at = { topic: 'decode.ticks', partition: 0, offset: '7' };

  it('gives the consumers of one message the same envelope, frozen, and checks each one accepts its type', () => {
    const first = decodeMessage(at, bytes(tick), ['tick_received']);
    const again = decodeMessage(at, bytes(tick), ['tick_received', 'order_filled']);
    expect(first.ok && again.ok && first.envelope === again.envelope).toBe(true);
    if (!first.ok) return;
    expect(first.envelope).toEqual(tick);
    expect(() => ((first.envelope.data as { lastPrice: number }).lastPrice = 1)).toThrow(TypeError);
    expect(decodeMessage(at, bytes(tick), ['order_filled'])).toEqual({ ok: false, reason: expect.stringMatching(/unexpected event type: got tick_received/) });
  });

  it('decodes afresh other bytes at the same place in the log (a recreated topic), and refuses invalid ones there', () => {
    const other = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(260_000) });
    const place = { ...at, offset: '8' };
    expect(decodeMessage(place, bytes(tick), ['tick_received'])).toMatchObject({ ok: true, envelope: { id: tick.id } });
    expect(decodeMessage(place, bytes(other), ['tick_received'])).toMatchObject({ ok: true, envelope: { id: other.id } });
    const invalid = { ...other, data: { ...other.data, lastPrice: 2500.5 } };
    expect(decodeMessage(place, bytes(invalid), ['tick_received'])).toMatchObject({ ok: false, reason: expect.stringMatching(/lastPrice/) });
  });
});
