import { validate as isUuid, version as uuidVersion } from 'uuid';
import { describe, expect, it } from 'vitest';
import { createEvent, ENVELOPE_VERSION, EventValidationError, parseEnvelope, parseEnvelopeOf, type Envelope } from './events';
import { makeSignal, makeTick } from './trading/testing';

const NOW = new Date('2026-11-24T04:30:00.000Z');

const tickEvent = () =>
  createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000), now: NOW });

/** A JSON copy of a valid envelope with one change, as it would arrive from Kafka. */
const altered = (change: (raw: Record<string, unknown>) => void) => {
  const raw = JSON.parse(JSON.stringify(tickEvent())) as Record<string, unknown>;
  change(raw);
  return raw;
};

const issuesOf = (value: unknown): string[] => {
  try {
    parseEnvelope(value);
  } catch (error) {
    if (error instanceof EventValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected parseEnvelope to fail');
};

describe('createEvent', () => {
  it('makes a UUIDv7 id and starts a correlation chain', () => {
    const event = tickEvent();
    expect(isUuid(event.id)).toBe(true);
    expect(uuidVersion(event.id)).toBe(7);
    expect(event).toMatchObject({
      type: 'tick_received',
      ts: '2026-11-24T04:30:00.000Z',
      source: 'market-feed',
      namespace: 'shared',
      correlationId: event.id,
      causationId: null,
      version: ENVELOPE_VERSION,
    });
  });

  it('carries the correlation id of its cause and points at the cause', () => {
    const tick = tickEvent();
    const signal = createEvent({ type: 'signal_generated', source: 'strategy-runner', namespace: 'paper', data: makeSignal(), cause: tick });
    expect(signal.id).not.toBe(tick.id);
    expect(signal.correlationId).toBe(tick.id);
    expect(signal.causationId).toBe(tick.id);
    const validated = createEvent({
      type: 'signal_validated',
      source: 'risk-manager',
      namespace: 'paper',
      data: { signal: makeSignal(), approvedQuantity: 10, approvedPrice: 250_000, checks: [] },
      cause: signal,
    });
    expect(validated.correlationId).toBe(tick.id);
    expect(validated.causationId).toBe(signal.id);
  });

  it('uses a fixed id when given one, so a replayed input yields the same event', () => {
    const id = '019ab5f0-0000-7000-8000-000000000001';
    const event = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(250_000), id });
    expect(event.id).toBe(id);
    expect(event.correlationId).toBe(id);
  });

  it('makes ids that sort by creation time', () => {
    const ids = Array.from({ length: 20 }, () => tickEvent().id);
    expect([...ids].sort()).toEqual(ids);
  });

  it('refuses to build an event with invalid data', () => {
    const data = { ...makeTick(250_000), lastPrice: 2500.5 };
    expect(() => createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data })).toThrow(
      /refusing to produce invalid tick_received.*lastPrice/,
    );
  });
});

describe('parseEnvelope', () => {
  it('accepts what createEvent produced, after a trip through JSON', () => {
    const event = tickEvent();
    const parsed: Envelope = parseEnvelope(JSON.parse(JSON.stringify(event)));
    expect(parsed).toEqual(event);
  });

  it('rejects a missing envelope field', () => {
    for (const field of ['id', 'type', 'ts', 'source', 'namespace', 'correlationId', 'causationId', 'version']) {
      const issues = issuesOf(altered((raw) => delete raw[field]));
      expect(issues.some((issue) => issue.startsWith(`${field}:`)), field).toBe(true);
    }
  });

  it('rejects a wrong version and a non-v7 id', () => {
    expect(issuesOf(altered((raw) => (raw.version = 2))).join()).toMatch(/^version:/);
    const v4 = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(issuesOf(altered((raw) => (raw.id = v4))).join()).toMatch(/^id:/);
  });

  it('rejects float prices in the data', () => {
    const issues = issuesOf(altered((raw) => ((raw.data as Record<string, unknown>).lastPrice = 2500.5)));
    expect(issues).toEqual([expect.stringMatching(/^data\.lastPrice:/)]);
  });

  it('rejects timestamps without a zone, in the envelope and in the data', () => {
    expect(issuesOf(altered((raw) => (raw.ts = '2026-11-24T10:00:00'))).join()).toMatch(/^ts:/);
    const issues = issuesOf(altered((raw) => ((raw.data as Record<string, unknown>).exchangeTimestamp = '2026-11-24T10:00:00')));
    expect(issues).toEqual([expect.stringMatching(/^data\.exchangeTimestamp:/)]);
  });

  it('rejects an unknown event type', () => {
    expect(issuesOf(altered((raw) => (raw.type = 'order_expired'))).join()).toMatch(/^type:/);
  });

  it('rejects data that belongs to another type', () => {
    const raw = altered((r) => (r.type = 'order_filled'));
    expect(() => parseEnvelope(raw)).toThrow(/invalid order_filled data/);
  });

  it('rejects values that are not envelopes at all', () => {
    for (const value of [null, 'text', 42, []]) expect(() => parseEnvelope(value)).toThrow(EventValidationError);
  });

  it('checks the expected type with parseEnvelopeOf', () => {
    const raw = JSON.parse(JSON.stringify(tickEvent()));
    expect(parseEnvelopeOf(raw, ['tick_received']).data.lastPrice).toBe(250_000);
    expect(() => parseEnvelopeOf(raw, ['order_filled', 'order_rejected'])).toThrow(/got tick_received, expected order_filled or order_rejected/);
  });
});
