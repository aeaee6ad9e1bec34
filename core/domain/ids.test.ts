import { v7 as uuidv7, validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { derivedEventId, namedEventId, uuidv7Timestamp } from './ids';

describe('derivedEventId', () => {
  const cause = uuidv7();

  it('is a valid UUIDv7 carrying the cause timestamp', () => {
    const id = derivedEventId(cause, 'strategy-a');
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect(uuidv7Timestamp(id)).toBe(uuidv7Timestamp(cause));
  });

  it('is the same for the same cause and discriminator, and differs otherwise', () => {
    expect(derivedEventId(cause, 'strategy-a')).toBe(derivedEventId(cause, 'strategy-a'));
    expect(derivedEventId(cause, 'strategy-a')).not.toBe(derivedEventId(cause, 'strategy-b'));
    expect(derivedEventId(cause, 'strategy-a')).not.toBe(derivedEventId(uuidv7(), 'strategy-a'));
  });
});

describe('namedEventId', () => {
  const at = new Date('2026-12-01T10:00:00.000Z');

  it('is a valid UUIDv7 at the given time, the same for the same name and different for another', () => {
    const id = namedEventId(at, 'contract_note:paper:2026-12-01');
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect(uuidv7Timestamp(id)).toBe(at.getTime());
    expect(namedEventId(at, 'contract_note:paper:2026-12-01')).toBe(id);
    expect(namedEventId(at, 'contract_note:paper:2026-12-02')).not.toBe(id);
  });
});
