// Turning a strategy's directional view into a signal draft. Strategies are position-aware:
//   - BUY opens a long of `quantity` when flat, or covers the whole short when short; nothing when
//     already long (adding to a position is left to a new edge after it closes).
//   - SELL closes the whole long when long, or opens a short of `quantity` when flat and
//     `allowShort` is set; nothing otherwise.
// Only opening signals carry stop-loss / take-profit prices: an exit needs no exits of its own.
import type { Tick } from '../../events';
import { paise, type Paise } from '../../money';
import { offsetByBps } from '../prices';
import type { CommonParameters, SignalDraft, StrategyContext } from './types';

export type Direction = 'BUY' | 'SELL';

export interface Intent {
  side: Direction;
  quantity: number;
  opening: boolean;
}

/** What a BUY or SELL view means for the current position; null when it calls for no order. */
export function intentFor(direction: Direction, parameters: CommonParameters, context: StrategyContext): Intent | null {
  const position = context.position;
  if (direction === 'BUY') {
    if (position < 0) return { side: 'BUY', quantity: -position, opening: false };
    if (position === 0) return { side: 'BUY', quantity: parameters.quantity, opening: true };
    return null;
  }
  if (position > 0) return { side: 'SELL', quantity: position, opening: false };
  if (position === 0 && parameters.allowShort) return { side: 'SELL', quantity: parameters.quantity, opening: true };
  return null;
}

export interface SignalText {
  reason: string;
  /** 0..1; clamped here. */
  confidence: number;
}

export function buildSignal(
  parameters: CommonParameters,
  tick: Tick,
  strategyId: string,
  intent: Intent,
  text: SignalText,
): SignalDraft {
  const reference = paise(tick.lastPrice);
  const tickSize = paise(parameters.tickSize);
  const draft: SignalDraft = {
    strategyId,
    instrumentToken: tick.instrumentToken,
    tradingsymbol: tick.tradingsymbol,
    side: intent.side,
    quantity: intent.quantity,
    orderType: parameters.orderType,
    product: parameters.product,
    referencePrice: reference,
    reason: text.reason,
    confidence: Math.min(1, Math.max(0, text.confidence)),
  };
  if (parameters.orderType === 'LIMIT') draft.limitPrice = reference;
  if (intent.opening) {
    // A long is protected below and takes profit above; a short the other way round.
    const direction = intent.side === 'BUY' ? 1 : -1;
    const positive = (price: Paise) => (price > 0 ? price : tickSize);
    if (parameters.stopLossBps !== undefined) {
      draft.stopLossPrice = positive(offsetByBps(reference, -direction * parameters.stopLossBps, tickSize));
    }
    if (parameters.takeProfitBps !== undefined) {
      draft.takeProfitPrice = positive(offsetByBps(reference, direction * parameters.takeProfitBps, tickSize));
    }
  }
  return draft;
}

/** Keeps the last `size` items of `window` plus `value` (a new array; state stays immutable). */
export function pushWindow<T>(window: readonly T[], value: T, size: number): T[] {
  const next = [...window, value];
  return next.length > size ? next.slice(next.length - size) : next;
}
