import { describe, expect, it } from 'vitest';
import { paise } from '../../core/domain/money';
import { MarketSimulator, type SimulatedInstrument } from './simulator';

const INSTRUMENTS: SimulatedInstrument[] = [
  { instrumentToken: 738561, tradingsymbol: 'RELIANCE', exchange: 'NSE', tickSize: paise(5), startPrice: paise(250_000) },
  { instrumentToken: 408065, tradingsymbol: 'INFY', exchange: 'NSE', tickSize: paise(5), startPrice: paise(150_000) },
];
const AT = new Date('2026-11-23T10:00:00+05:30');

describe('market simulator', () => {
  it('resumed from its saved state, carries on exactly as if it had never stopped', () => {
    const uninterrupted = new MarketSimulator(INSTRUMENTS, 42);
    const all = Array.from({ length: 40 }, (_, i) => uninterrupted.tick(i, AT));

    const first = new MarketSimulator(INSTRUMENTS, 42);
    const before = Array.from({ length: 25 }, (_, i) => first.tick(i, AT));
    // Saved through JSON, as the feed keeps it in Redis.
    const saved = JSON.parse(JSON.stringify(first.state())) as ReturnType<MarketSimulator['state']>;
    const resumed = new MarketSimulator(INSTRUMENTS, 42, saved);
    const after = Array.from({ length: 15 }, (_, i) => resumed.tick(25 + i, AT));

    expect([...before, ...after]).toEqual(all);
    // Not the opening price again: the first tick after the restart is one step from the last one.
    const lastReliance = before.filter((t) => t.instrumentToken === 738561).at(-1)!.lastPrice;
    const nextReliance = after.find((t) => t.instrumentToken === 738561)!;
    expect(Math.abs(nextReliance.lastPrice - lastReliance)).toBeLessThanOrEqual(Math.ceil(lastReliance * 0.0005) + 5);
    expect(nextReliance.ohlc.open).toBe(250_000);
  });

  it('starts an instrument the saved state does not know from its start price', () => {
    const saved = new MarketSimulator(INSTRUMENTS.slice(0, 1), 42).state();
    const resumed = new MarketSimulator(INSTRUMENTS, 42, saved);
    expect(resumed.tick(1, AT).ohlc.open).toBe(150_000);
  });
});
