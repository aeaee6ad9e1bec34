// RSI (Wilder): BUY view when RSI crosses back up through the oversold level (it was below, now at
// or above), SELL view when it crosses back down through the overbought level. Acting on the
// cross back, not on entering the zone, waits for the move to turn instead of catching a falling
// price. A cross is an edge by nature: no repeats while RSI stays on one side.
import { z } from 'zod';
import { initialRsi, rsiValue, updateRsi, type RsiState } from './indicators';
import { commonParameters, type StrategyDefinition } from './types';

export const rsiParameters = z
  .object({
    ...commonParameters,
    period: z.number().int().min(2).max(1_000).default(14),
    oversold: z.number().gt(0).lt(100).default(30),
    overbought: z.number().gt(0).lt(100).default(70),
  })
  .strict()
  .refine((p) => p.oversold < p.overbought, { message: 'oversold must be below overbought', path: ['oversold'] });
export type RsiParameters = z.infer<typeof rsiParameters>;

export interface RsiStrategyState {
  rsi: RsiState;
  /** RSI after the previous tick; null until the indicator is seeded. */
  previous: number | null;
}

export const rsiStrategy: StrategyDefinition<RsiParameters, RsiStrategyState> = {
  type: 'rsi',
  description: "BUY when Wilder's RSI crosses back above oversold, SELL when it crosses back below overbought",
  parametersSchema: rsiParameters,
  initialState: (p) => ({ rsi: initialRsi(p.period), previous: null }),
  onTick(parameters, state, tick) {
    const rsi = updateRsi(state.rsi, tick.lastPrice);
    const current = rsiValue(rsi);
    const next: RsiStrategyState = { rsi, previous: current };
    const previous = state.previous;
    if (previous === null || current === null) return { state: next, view: null };

    const { oversold, overbought } = parameters;
    const direction =
      previous < oversold && current >= oversold ? 'BUY' : previous > overbought && current <= overbought ? 'SELL' : null;
    if (!direction) return { state: next, view: null };
    const level = direction === 'BUY' ? oversold : overbought;
    return {
      state: next,
      view: {
        direction,
        reason: `rsi: RSI(${parameters.period}) crossed ${direction === 'BUY' ? 'above' : 'below'} ${level} (${previous.toFixed(1)} -> ${current.toFixed(1)})`,
        confidence: Math.min(1, 0.5 + Math.abs(current - previous) / 20),
      },
    };
  },
};
