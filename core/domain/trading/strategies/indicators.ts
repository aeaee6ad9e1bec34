// Indicators as plain-data state plus pure update functions. Indicator values are ratios, not
// money, so floats are fine here; prices stay integer paise. JSON keeps every double exactly, so
// a state that went through Redis resumes bit-for-bit.

/** Wilder's RSI: seeded with the simple average of the first `period` changes, then smoothed. */
export interface RsiState {
  period: number;
  previousPrice: number | null;
  /** Changes seen so far, up to `period` (while seeding). */
  seen: number;
  averageGain: number;
  averageLoss: number;
}

export function initialRsi(period: number): RsiState {
  return { period, previousPrice: null, seen: 0, averageGain: 0, averageLoss: 0 };
}

export function updateRsi(state: RsiState, price: number): RsiState {
  if (state.previousPrice === null) return { ...state, previousPrice: price };
  const change = price - state.previousPrice;
  const gain = change > 0 ? change : 0;
  const loss = change < 0 ? -change : 0;
  const { period } = state;
  if (state.seen < period) {
    // Accumulate a running mean until the seed window is full.
    const seen = state.seen + 1;
    return {
      ...state,
      previousPrice: price,
      seen,
      averageGain: state.averageGain + (gain - state.averageGain) / seen,
      averageLoss: state.averageLoss + (loss - state.averageLoss) / seen,
    };
  }
  return {
    ...state,
    previousPrice: price,
    averageGain: (state.averageGain * (period - 1) + gain) / period,
    averageLoss: (state.averageLoss * (period - 1) + loss) / period,
  };
}

/** RSI in 0..100, or null until `period` changes have been seen. */
export function rsiValue(state: RsiState): number | null {
  if (state.seen < state.period) return null;
  if (state.averageLoss === 0) return state.averageGain === 0 ? 50 : 100;
  const relativeStrength = state.averageGain / state.averageLoss;
  return 100 - 100 / (1 + relativeStrength);
}

export interface Bands {
  middle: number;
  upper: number;
  lower: number;
}

/** Bollinger bands: mean ± k population standard deviations of the window. */
export function bollinger(window: readonly number[], multiplier: number): Bands {
  const mean = window.reduce((sum, value) => sum + value, 0) / window.length;
  const variance = window.reduce((sum, value) => sum + (value - mean) ** 2, 0) / window.length;
  const deviation = Math.sqrt(variance);
  return { middle: mean, upper: mean + multiplier * deviation, lower: mean - multiplier * deviation };
}
