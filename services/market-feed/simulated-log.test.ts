import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { simulatedTickId, stepOfTickId } from './simulated-log';

describe('simulated tick ids', () => {
  const at = new Date('2026-11-23T10:00:00+05:30');

  it('carry their step, readable back with the same seed only', () => {
    for (const step of [0, 1, 599, 2 ** 40 + 7]) {
      const id = simulatedTickId(at, 42, step);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(stepOfTickId(id, 42)).toBe(step);
      expect(stepOfTickId(id, 43)).toBeNull();
    }
  });

  it('are time-ordered UUIDv7s, and no other id reads as one of the feed', () => {
    expect(simulatedTickId(at, 42, 5).slice(0, 13)).toBe(uuidv7({ msecs: at.getTime() }).slice(0, 13));
    expect(stepOfTickId(uuidv7(), 42)).toBeNull();
    expect(stepOfTickId('not an id', 42)).toBeNull();
  });
});
