// Mean reversion: Bollinger bands confirmed by RSI. BUY view when the price closes below the lower
// band AND RSI is oversold; SELL view when it is above the upper band AND RSI is overbought.
// The bands come from the `bandPeriod` prices before the current tick, so a sudden move is
// measured against the range that preceded it. Edge-triggered like momentum: one signal when the
// price enters a zone, none while it stays there.
import { z } from 'zod';
import { pushWindow } from './signals';
import { bollinger, initialRsi, rsiValue, updateRsi, type RsiState } from './indicators';
import { commonParameters, type StrategyDefinition } from './types';

export const meanReversionParameters = z
  .object({
    ...commonParameters,
    bandPeriod: z.number().int().min(2).max(1_000).default(20),
    bandStdDev: z.number().positive().max(10).default(2),
    rsiPeriod: z.number().int().min(2).max(1_000).default(14),
    oversold: z.number().gt(0).lt(100).default(30),
    overbought: z.number().gt(0).lt(100).default(70),
  })
  .strict()
  .refine((p) => p.oversold < p.overbought, { message: 'oversold must be below overbought', path: ['oversold'] });
export type MeanReversionParameters = z.infer<typeof meanReversionParameters>;

type Zone = 'below' | 'above' | 'inside';

export interface MeanReversionState {
  /** The last bandPeriod prices before the current tick, oldest first. */
  prices: number[];
  rsi: RsiState;
  zone: Zone;
}

export const meanReversion: StrategyDefinition<MeanReversionParameters, MeanReversionState> = {
  type: 'mean_reversion',
  description: 'BUY below the lower Bollinger band with RSI oversold, SELL above the upper band with RSI overbought',
  parametersSchema: meanReversionParameters,
  initialState: (p) => ({ prices: [], rsi: initialRsi(p.rsiPeriod), zone: 'inside' }),
  onTick(parameters, state, tick) {
    const price = tick.lastPrice;
    const rsi = updateRsi(state.rsi, price);
    const prices = pushWindow(state.prices, price, parameters.bandPeriod);
    const rsiNow = rsiValue(rsi);
    if (state.prices.length < parameters.bandPeriod || rsiNow === null) {
      return { state: { prices, rsi, zone: 'inside' }, view: null };
    }

    const bands = bollinger(state.prices, parameters.bandStdDev);
    const zone: Zone =
      price < bands.lower && rsiNow < parameters.oversold
        ? 'below'
        : price > bands.upper && rsiNow > parameters.overbought
          ? 'above'
          : 'inside';
    const next: MeanReversionState = { prices, rsi, zone };
    if (zone === 'inside' || zone === state.zone) return { state: next, view: null };

    const buying = zone === 'below';
    const band = buying ? bands.lower : bands.upper;
    const extremity = buying
      ? (parameters.oversold - rsiNow) / parameters.oversold
      : (rsiNow - parameters.overbought) / (100 - parameters.overbought);
    const reason =
      `mean_reversion: price ${price} ${buying ? 'below lower' : 'above upper'} band ${band.toFixed(1)} ` +
      `with RSI ${rsiNow.toFixed(1)} ${buying ? `< ${parameters.oversold}` : `> ${parameters.overbought}`}`;
    return { state: next, view: { direction: buying ? 'BUY' : 'SELL', reason, confidence: 0.5 + extremity / 2 } };
  },
};
