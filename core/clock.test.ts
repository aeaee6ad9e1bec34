import { describe, expect, it } from 'vitest';
import { eventClock } from './clock';

describe('eventClock', () => {
  it('is the wall clock without an offset, and shifted by it with one', () => {
    const before = Date.now();
    const wall = eventClock({ clock: { offsetMs: 0 } })().getTime();
    const shifted = eventClock({ clock: { offsetMs: -5 * 3_600_000 } })().getTime();
    const after = Date.now();
    expect(wall).toBeGreaterThanOrEqual(before);
    expect(wall).toBeLessThanOrEqual(after);
    expect(shifted).toBeGreaterThanOrEqual(before - 5 * 3_600_000);
    expect(shifted).toBeLessThanOrEqual(after - 5 * 3_600_000);
  });
});
