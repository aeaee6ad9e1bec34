// Turning a strategy's directional view into a signal draft. Strategies are position-aware, and
// they count what is pending (signalled, not filled, not ended) as well as what is held:
//   - BUY opens a long of `quantity` when flat with nothing pending, or covers the short held net
//     of the covers already pending; nothing when long, or while an entry is pending (a second
//     entry beside a resting one would double the position if both fill).
//   - SELL closes the long held net of the exits already pending, or opens a short of `quantity`
//     when flat with nothing pending and `allowShort` is set; nothing otherwise.
// A pending entry is never sold (or covered) before it fills: if it never fills, that exit would
// open a position the other way.
// Only opening signals carry stop-loss / take-profit prices: an exit needs no exits of its own.
import type { Tick } from '../../events';
import { paise, type Paise } from '../../money';
import { offsetByBps } from '../prices';
import type { CommonParameters, Direction, SignalDraft, StrategyContext, StrategyView } from './types';

export type { Direction } from './types';

/** What of a tick a signal is built from. */
export type SignalTick = Pick<Tick, 'instrumentToken' | 'tradingsymbol' | 'lastPrice'>;

export interface Intent {
  side: Direction;
  quantity: number;
  opening: boolean;
}

/** What a BUY or SELL view means for the position and what is pending; null when it calls for no order. */
export function intentFor(direction: Direction, parameters: CommonParameters, context: StrategyContext): Intent | null {
  const { position, pendingBuy, pendingSell } = context;
  if (position === 0) {
    if (pendingBuy > 0 || pendingSell > 0) return null;
    if (direction === 'BUY') return { side: 'BUY', quantity: parameters.quantity, opening: true };
    return parameters.allowShort ? { side: 'SELL', quantity: parameters.quantity, opening: true } : null;
  }
  if (direction === 'BUY') {
    const uncovered = -position - pendingBuy;
    return uncovered > 0 ? { side: 'BUY', quantity: uncovered, opening: false } : null;
  }
  const unsold = position - pendingSell;
  return unsold > 0 ? { side: 'SELL', quantity: unsold, opening: false } : null;
}

export function buildSignal(
  parameters: CommonParameters,
  tick: SignalTick,
  strategyId: string,
  intent: Intent,
  text: Pick<StrategyView, 'reason' | 'confidence'>,
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
