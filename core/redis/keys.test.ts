import { describe, expect, it } from 'vitest';
import { BROKER_NAMESPACES } from '../domain/namespace';
import { DEFAULT_DEDUP_TTL_SECONDS, dedupKey } from './dedup';
import { keyNamespace, namespacedKey } from './keys';

describe('namespacedKey', () => {
  it('joins the namespace and the parts with colons', () => {
    expect(namespacedKey('paper', 'portfolio', 'strategy1')).toBe('paper:portfolio:strategy1');
    expect(namespacedKey('zerodha', 'risk', 'orders', 42)).toBe('zerodha:risk:orders:42');
    expect(namespacedKey('shared', 'last_price', 738561)).toBe('shared:last_price:738561');
  });

  it('never gives paper and zerodha the same key for the same parts', () => {
    const partLists: (string | number)[][] = [
      ['portfolio', 'strategy1'],
      ['dedup', 'risk-manager', '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'],
      ['metrics', 'throughput', 60],
      ['paper'],
      ['zerodha', 'paper'],
    ];
    const seen = new Map<string, string>();
    for (const parts of partLists) {
      for (const ns of [...BROKER_NAMESPACES, 'shared'] as const) {
        const key = namespacedKey(ns, ...parts);
        expect(seen.has(key), `${key} built twice`).toBe(false);
        seen.set(key, ns);
        expect(keyNamespace(key)).toBe(ns);
      }
    }
    expect(seen.size).toBe(partLists.length * 3);
  });

  it('refuses parts that would make two different keys look alike', () => {
    expect(() => namespacedKey('paper', 'portfolio:strategy1')).toThrow(/separate parts/);
    expect(() => namespacedKey('paper', '')).toThrow(/non-empty/);
    expect(() => namespacedKey('paper')).toThrow(/at least one part/);
  });

  it('refuses a namespace that is not one', () => {
    expect(() => namespacedKey('live' as never, 'x')).toThrow(/unknown key namespace/);
  });

  it('reads no namespace from a foreign key', () => {
    expect(keyNamespace('portfolio:strategy1')).toBeUndefined();
  });
});

describe('dedupKey', () => {
  it('is namespaced per service', () => {
    const id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    expect(dedupKey('paper', 'risk-manager', id)).toBe(`paper:dedup:risk-manager:${id}`);
    expect(dedupKey('zerodha', 'risk-manager', id)).not.toBe(dedupKey('paper', 'risk-manager', id));
    expect(dedupKey('paper', 'trading-engine', id)).not.toBe(dedupKey('paper', 'risk-manager', id));
  });

  it('keeps records for seven days by default', () => {
    expect(DEFAULT_DEDUP_TTL_SECONDS).toBe(604_800);
  });
});
