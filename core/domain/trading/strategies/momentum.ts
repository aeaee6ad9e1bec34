// Momentum: the change of the last price over a lookback of N ticks against a threshold in basis
// points. A rise of at least the threshold is a BUY view, a fall of at least the threshold a SELL
// view (closing a long, or opening a short when allowed).
//
// Edge-triggered: a signal fires when the condition turns on (flat -> up, flat -> down, or up <->
// down), not on every tick while it persists. An edge is consumed even when the position makes
// it a no-op (e.g. a SELL view while flat and shorting is not allowed).
import { z } from 'zod';
import { changeInBps } from '../prices';
import { paise } from '../../money';
import { pushWindow } from './signals';
import { commonParameters, type StrategyDefinition } from './types';

export const momentumParameters = z
  .object({
    ...commonParameters,
    /** Ticks between the two prices compared. */
    lookbackTicks: z.number().int().min(1).max(10_000).default(20),
    thresholdBps: z.number().int().positive().max(10_000).default(50),
  })
  .strict();
export type MomentumParameters = z.infer<typeof momentumParameters>;

type Condition = 'up' | 'down' | 'flat';

export interface MomentumState {
  /** The last lookbackTicks + 1 prices, oldest first. */
  prices: number[];
  condition: Condition;
}

export const momentum: StrategyDefinition<MomentumParameters, MomentumState> = {
  type: 'momentum',
  description: 'BUY when price rose by thresholdBps over lookbackTicks ticks, SELL when it fell as much',
  parametersSchema: momentumParameters,
  initialState: () => ({ prices: [], condition: 'flat' }),
  onTick(parameters, state, tick) {
    const prices = pushWindow(state.prices, tick.lastPrice, parameters.lookbackTicks + 1);
    if (prices.length <= parameters.lookbackTicks) return { state: { ...state, prices }, view: null };

    const first = prices[0]!;
    const last = prices[prices.length - 1]!;
    // Integer comparison: (last - first) / first >= threshold / 10_000.
    const threshold = parameters.thresholdBps * first;
    const moved = (last - first) * 10_000;
    const condition: Condition = moved >= threshold ? 'up' : moved <= -threshold ? 'down' : 'flat';
    const next: MomentumState = { prices, condition };
    if (condition === state.condition || condition === 'flat') return { state: next, view: null };

    const change = changeInBps(paise(first), paise(last));
    return {
      state: next,
      view: {
        direction: condition === 'up' ? 'BUY' : 'SELL',
        reason: `momentum: ${change.toFixed(1)} bps over ${parameters.lookbackTicks} ticks (threshold ${parameters.thresholdBps} bps)`,
        confidence: Math.abs(change) / (2 * parameters.thresholdBps),
      },
    };
  },
};
