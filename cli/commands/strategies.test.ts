import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { StrategyRecord } from '../../core/postgres/strategies';
import { formatStrategies, parseAssignments } from './strategies';

describe('parseAssignments', () => {
  it('reads JSON values as JSON and anything else as text', () => {
    expect(parseAssignments(['lookbackTicks=30', 'allowShort=true', 'product=CNC', 'thresholdBps=12.5', 'orderType="LIMIT"'])).toEqual({
      lookbackTicks: 30,
      allowShort: true,
      product: 'CNC',
      thresholdBps: 12.5,
      orderType: 'LIMIT',
    });
  });

  it('keeps an = inside the value and removes a parameter given an empty value', () => {
    const changes = parseAssignments(['note=a=b', 'stopLossBps=']);
    expect(changes).toEqual({ note: 'a=b', stopLossBps: undefined });
    expect(Object.hasOwn(changes, 'stopLossBps')).toBe(true);
  });

  it('refuses a malformed or repeated assignment', () => {
    for (const bad of [['lookbackTicks'], ['=5'], ['1x=5'], ['a b=1'], ['quantity=1', 'quantity=2']]) {
      expect(() => parseAssignments(bad), bad.join(' ')).toThrow(InvalidArgumentError);
    }
  });
});

describe('formatStrategies', () => {
  const record: StrategyRecord = {
    namespace: 'paper',
    id: 'momentum_reliance',
    name: 'Momentum on RELIANCE',
    strategyType: 'momentum',
    instruments: [738561, 1],
    parameters: { quantity: 1, product: 'CNC' },
    riskLimits: {},
    isActive: false,
    createdAt: '2026-12-01T03:45:00.000Z',
    updatedAt: '2026-12-01T03:45:00.000Z',
  };

  it('shows symbols where known, the state, the IST time and the stored parameters', () => {
    const lines = formatStrategies([record], new Map([[738561, 'RELIANCE']])).split('\n');
    expect(lines[0]).toMatch(/^id\s+type\s+active\s+instruments\s+updated \(IST\)\s+parameters$/);
    expect(lines[1]).toMatch(/^momentum_reliance\s+momentum\s+no\s+RELIANCE,1\s+2026-12-01 09:15:00\s+quantity=1 product=CNC$/);
  });
});
