import { describe, expect, it } from 'vitest';
import { UnsafeIntegerError, parseBigint } from './pool';

describe('parseBigint', () => {
  it('reads BIGINT text as an exact number', () => {
    expect(parseBigint('123456789012')).toBe(123_456_789_012);
    expect(parseBigint('-5')).toBe(-5);
    expect(parseBigint('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses a value a double would round', () => {
    expect(() => parseBigint('9007199254740993')).toThrow(UnsafeIntegerError);
  });
});
