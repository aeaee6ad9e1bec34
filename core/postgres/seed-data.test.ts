import { describe, expect, it } from 'vitest';
import { riskLimitsOverrideSchema } from '../domain/trading/risk';
import { loadStrategy } from '../domain/trading/strategies';
import { SEED_INSTRUMENT_DEFAULTS, SEED_INSTRUMENTS, SEED_STRATEGIES, seedStrategyIsActive } from './seed-data';

describe('seed instruments', () => {
  it('carry Kite NSE tokens: exchange token * 256 + 1', () => {
    for (const instrument of SEED_INSTRUMENTS) {
      expect(instrument.instrumentToken, instrument.tradingsymbol).toBe(instrument.exchangeToken * 256 + 1);
    }
  });

  it('are about twenty distinct instruments', () => {
    expect(SEED_INSTRUMENTS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(SEED_INSTRUMENTS.map((i) => i.instrumentToken)).size).toBe(SEED_INSTRUMENTS.length);
    expect(new Set(SEED_INSTRUMENTS.map((i) => i.tradingsymbol)).size).toBe(SEED_INSTRUMENTS.length);
  });

  it('have reference prices on the tick grid', () => {
    for (const instrument of SEED_INSTRUMENTS) {
      expect(instrument.referencePricePaise % SEED_INSTRUMENT_DEFAULTS.tickSizePaise, instrument.tradingsymbol).toBe(0);
    }
  });
});

describe('seed strategies', () => {
  const tokens = new Set(SEED_INSTRUMENTS.map((i) => i.instrumentToken));

  it('load as the strategy runner and risk manager load them (parameters and limits valid)', () => {
    for (const strategy of SEED_STRATEGIES) {
      expect(() => loadStrategy({ ...strategy, namespace: 'paper', isActive: true })).not.toThrow();
      expect(riskLimitsOverrideSchema.safeParse(strategy.riskLimits).error).toBeUndefined();
    }
  });

  it('trade only seeded instruments', () => {
    for (const strategy of SEED_STRATEGIES) {
      expect(strategy.instruments.length, strategy.id).toBeGreaterThan(0);
      for (const token of strategy.instruments) expect(tokens.has(token), `${strategy.id} ${token}`).toBe(true);
    }
  });

  it('cover every sample strategy type with whole-share quantities', () => {
    expect(new Set(SEED_STRATEGIES.map((s) => s.strategyType))).toEqual(
      new Set(['momentum', 'mean_reversion', 'rsi', 'low_frequency_demo']),
    );
    for (const strategy of SEED_STRATEGIES) expect(Number.isInteger(strategy.parameters.quantity), strategy.id).toBe(true);
  });

  it('start active in paper only, never trading real money unasked', () => {
    expect(seedStrategyIsActive('paper')).toBe(true);
    expect(seedStrategyIsActive('zerodha')).toBe(false);
  });
});
