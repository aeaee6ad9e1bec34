// A deterministic demonstration strategy: every `everyTicks` ticks of an instrument it emits a
// signal, alternating BUY and SELL (BUY first). It ignores the position on purpose, so a demo
// shows the whole pipeline (risk, orders, fills, P&L) on a predictable schedule. Stop-loss and
// take-profit prices, when configured, are attached to its BUY signals.
import { z } from 'zod';
import { buildSignal } from './signals';
import { commonParameters, type StrategyDefinition } from './types';

export const lowFrequencyDemoParameters = z
  .object({
    ...commonParameters,
    everyTicks: z.number().int().min(1).max(1_000_000).default(50),
  })
  .strict();
export type LowFrequencyDemoParameters = z.infer<typeof lowFrequencyDemoParameters>;

export interface LowFrequencyDemoState {
  ticksSeen: number;
  nextSide: 'BUY' | 'SELL';
}

export const lowFrequencyDemo: StrategyDefinition<LowFrequencyDemoParameters, LowFrequencyDemoState> = {
  type: 'low_frequency_demo',
  description: 'A signal every everyTicks ticks, alternating BUY and SELL',
  parametersSchema: lowFrequencyDemoParameters,
  initialState: () => ({ ticksSeen: 0, nextSide: 'BUY' }),
  onTick(parameters, state, tick, _context, strategyId) {
    const ticksSeen = state.ticksSeen + 1;
    if (ticksSeen % parameters.everyTicks !== 0) return { state: { ...state, ticksSeen }, signals: [] };
    const side = state.nextSide;
    const signal = buildSignal(
      parameters,
      tick,
      strategyId,
      { side, quantity: parameters.quantity, opening: side === 'BUY' },
      { reason: `low_frequency_demo: tick ${ticksSeen}, every ${parameters.everyTicks} ticks`, confidence: 0.5 },
    );
    return { state: { ticksSeen, nextSide: side === 'BUY' ? 'SELL' : 'BUY' }, signals: [signal] };
  },
};
