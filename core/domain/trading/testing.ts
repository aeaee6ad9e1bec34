// Builders for unit tests of the trading domain: valid ticks and signals with sensible defaults.
import { signalData, tickData, type Signal, type SignalValidated, type Tick } from '../events';
import type { LoadedStrategy } from './strategies/registry';
import type { StrategyContext } from './strategies/types';

export const RELIANCE = 738_561;

type TickOverrides = Partial<Omit<Tick, 'depth'>> & { depth?: Partial<Tick['depth']> };

/** A valid full-mode tick (validated, so a test cannot build an impossible one by accident). */
export function makeTick(lastPrice: number, overrides: TickOverrides = {}): Tick {
  const { depth, ...rest } = overrides;
  return tickData.parse({
    instrumentToken: RELIANCE,
    tradingsymbol: 'RELIANCE',
    exchange: 'NSE',
    mode: 'full',
    tradable: true,
    lastPrice,
    lastTradedQuantity: 10,
    averageTradedPrice: lastPrice,
    volumeTraded: 1_000_000,
    totalBuyQuantity: 50_000,
    totalSellQuantity: 50_000,
    ohlc: { open: lastPrice, high: lastPrice, low: lastPrice, close: lastPrice },
    change: 0,
    lastTradeTime: '2026-11-24T10:00:00+05:30',
    exchangeTimestamp: '2026-11-24T10:00:00+05:30',
    oi: 0,
    depth: { buy: depth?.buy ?? [], sell: depth?.sell ?? [] },
    ...rest,
  });
}

export function makeSignal(overrides: Partial<Signal> = {}): Signal {
  return signalData.parse({
    strategyId: 'momentum-1',
    instrumentToken: RELIANCE,
    tradingsymbol: 'RELIANCE',
    side: 'BUY',
    quantity: 10,
    orderType: 'MARKET',
    product: 'MIS',
    referencePrice: 250_000,
    reason: 'test',
    confidence: 0.5,
    ...overrides,
  });
}

export function makeValidated(signal: Signal, approvedPrice = signal.limitPrice ?? signal.referencePrice): SignalValidated {
  return { signal, approvedQuantity: signal.quantity, approvedPrice, checks: [] };
}

/** A strategy context: `position` held, and what is pending (nothing unless given). */
export const held = (position: number, pending: { buy?: number; sell?: number } = {}): StrategyContext => ({
  position,
  pendingBuy: pending.buy ?? 0,
  pendingSell: pending.sell ?? 0,
});

type ContextGiven = number | StrategyContext;

/**
 * Feeds a price series to a loaded strategy; returns each signal with the index of its tick.
 * `context` is what the strategy is told at each tick: a number is a position with nothing pending.
 */
export function runPrices(
  strategy: LoadedStrategy,
  prices: readonly number[],
  context: ContextGiven | ((index: number) => ContextGiven) = 0,
): { index: number; signal: Signal }[] {
  let state: unknown;
  const emitted: { index: number; signal: Signal }[] = [];
  prices.forEach((price, index) => {
    const given = typeof context === 'function' ? context(index) : context;
    const step = strategy.onTick(state, makeTick(price), typeof given === 'number' ? held(given) : given);
    // Round-trip through JSON as a runner keeping state in Redis would.
    state = JSON.parse(JSON.stringify(step.state));
    for (const signal of step.signals) emitted.push({ index, signal: signalData.parse(signal) });
  });
  return emitted;
}
