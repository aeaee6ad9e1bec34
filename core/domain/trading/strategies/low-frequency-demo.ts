// A deterministic demonstration strategy: every `everyTicks` ticks of an instrument it takes a
// view, alternating BUY and SELL (BUY first), whatever the prices, so a demo shows the whole
// pipeline (risk, orders, fills, P&L) on a predictable schedule. Like every strategy's, its views
// become signals through intentFor: a SELL closes what it holds and opens a short only when
// `allowShort` is set, and no view adds an entry while one is pending. Stop-loss and take-profit
// prices, when configured, are attached to its opening signals. With `spreadByInstrument`, each
// instrument's schedule is shifted by its token (modulo everyTicks): a feed that ticks its
// instruments in turn then gets their views on different ticks, not every instrument's at once.
import { z } from 'zod';
import { commonParameters, type StrategyDefinition } from './types';

export const lowFrequencyDemoParameters = z
  .object({
    ...commonParameters,
    everyTicks: z.number().int().min(1).max(1_000_000).default(50),
    spreadByInstrument: z.boolean().default(false),
  })
  .strict();
export type LowFrequencyDemoParameters = z.infer<typeof lowFrequencyDemoParameters>;

export interface LowFrequencyDemoState {
  ticksSeen: number;
  nextSide: 'BUY' | 'SELL';
}

export const lowFrequencyDemo: StrategyDefinition<LowFrequencyDemoParameters, LowFrequencyDemoState> = {
  type: 'low_frequency_demo',
  description: 'A BUY or SELL view every everyTicks ticks, alternating',
  parametersSchema: lowFrequencyDemoParameters,
  initialState: () => ({ ticksSeen: 0, nextSide: 'BUY' }),
  onTick(parameters, state, tick) {
    const ticksSeen = state.ticksSeen + 1;
    const shift = parameters.spreadByInstrument ? tick.instrumentToken % parameters.everyTicks : 0;
    if ((ticksSeen + shift) % parameters.everyTicks !== 0) return { state: { ...state, ticksSeen }, view: null };
    const side = state.nextSide;
    // The view alternates even when it calls for no order, so the schedule stays predictable.
    const next: LowFrequencyDemoState = { ticksSeen, nextSide: side === 'BUY' ? 'SELL' : 'BUY' };
    return { state: next, view: { direction: side, reason: `low_frequency_demo: tick ${ticksSeen}, every ${parameters.everyTicks} ticks`, confidence: 0.5 } };
  },
};
