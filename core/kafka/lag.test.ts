import { describe, expect, it } from 'vitest';
import { partitionLag } from './lag';

describe('partitionLag', () => {
  it('is the distance from the committed offset to the high watermark', () => {
    expect(partitionLag('40', '100', '0')).toBe(60);
    expect(partitionLag('100', '100', '0')).toBe(0);
  });

  it('counts what is still on the log when the group committed nothing', () => {
    expect(partitionLag('-1', '100', '30')).toBe(70);
  });

  it('works past the range of doubles', () => {
    expect(partitionLag('9007199254740993', '9007199254740995', '0')).toBe(2);
  });
});
