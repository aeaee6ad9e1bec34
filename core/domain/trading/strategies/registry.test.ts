import { describe, expect, it } from 'vitest';
import { held, makeTick, RELIANCE } from '../testing';
import { loadStrategy, StrategyConfigError, STRATEGY_TYPES } from './registry';

const config = (overrides: Record<string, unknown> = {}) => ({
  id: 'demo-1',
  namespace: 'paper',
  name: 'Demo',
  strategyType: 'low_frequency_demo',
  instruments: [RELIANCE],
  parameters: { quantity: 1, everyTicks: 1 },
  isActive: true,
  ...overrides,
});

const errorOf = (input: unknown): StrategyConfigError => {
  try {
    loadStrategy(input);
  } catch (error) {
    if (error instanceof StrategyConfigError) return error;
    throw error;
  }
  throw new Error('expected loadStrategy to fail');
};

describe('strategy registry', () => {
  it('knows the four strategy types', () => {
    expect([...STRATEGY_TYPES].sort()).toEqual(['low_frequency_demo', 'mean_reversion', 'momentum', 'rsi']);
  });

  it('fills parameter defaults', () => {
    const loaded = loadStrategy(config({ strategyType: 'momentum', parameters: { quantity: 2 } }));
    expect(loaded.parameters).toMatchObject({ quantity: 2, lookbackTicks: 20, thresholdBps: 50, product: 'MIS', orderType: 'MARKET' });
  });

  it('names the strategy and every bad parameter', () => {
    const error = errorOf(config({ strategyType: 'momentum', parameters: { quantity: 0, thresholdBps: 'high' } }));
    expect(error.strategyId).toBe('demo-1');
    expect(error.message).toMatch(/^invalid strategy "demo-1"/);
    expect(error.issues.some((i) => i.startsWith('parameters.quantity:'))).toBe(true);
    expect(error.issues.some((i) => i.startsWith('parameters.thresholdBps:'))).toBe(true);
  });

  it('rejects unknown parameters (a typo must not fall back to a default silently)', () => {
    const error = errorOf(config({ parameters: { quantity: 1, everyTick: 5 } }));
    expect(error.message).toMatch(/parameters: Unrecognized key.*everyTick/);
  });

  it('rejects an unknown strategy type, listing the known ones', () => {
    expect(errorOf(config({ strategyType: 'martingale' })).message).toMatch(
      /unknown type "martingale"; known types are momentum, mean_reversion, rsi, low_frequency_demo/,
    );
  });

  it('rejects a malformed configuration and bad risk limit overrides', () => {
    expect(errorOf(config({ instruments: [] })).message).toMatch(/config\.instruments/);
    expect(errorOf(config({ riskLimits: { maxOrderValue: -5 } })).message).toMatch(/riskLimits\.maxOrderValue/);
    expect(loadStrategy(config({ riskLimits: { maxOrderValue: 500_000 } })).riskLimits).toEqual({ maxOrderValue: 500_000 });
  });

  it('ignores ticks of other instruments', () => {
    const loaded = loadStrategy(config());
    const state = loaded.initialState();
    const step = loaded.onTick(state, makeTick(100_000, { instrumentToken: 256_265, tradingsymbol: 'NIFTY 50' }), held(0));
    expect(step).toEqual({ state, signals: [] });
  });

  it('updates state but emits nothing for a non-tradable tick or an inactive strategy', () => {
    const active = loadStrategy(config());
    const index = active.onTick(undefined, makeTick(100_000, { tradable: false }), held(0));
    expect(index.signals).toEqual([]);
    expect(index.state).toEqual({ ticksSeen: 1, nextSide: 'SELL' });
    const inactive = loadStrategy(config({ isActive: false }));
    expect(inactive.onTick(undefined, makeTick(100_000), held(0)).signals).toEqual([]);
    expect(active.onTick(undefined, makeTick(100_000), held(0)).signals).toHaveLength(1);
  });
});
