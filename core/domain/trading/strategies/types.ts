// What every strategy shares: its configuration row, the parameters common to all strategy types,
// the context a runner passes with each tick, and the signal draft it returns.
import { z } from 'zod';
import { BROKER_NAMESPACES } from '../../namespace';
import type { Signal, Tick } from '../../events';

/** A strategy as stored (the `strategies` table): parameters are validated when it is loaded. */
export const strategyConfigSchema = z.object({
  id: z.string().min(1),
  namespace: z.enum(BROKER_NAMESPACES),
  name: z.string().min(1),
  strategyType: z.string().min(1),
  instruments: z.array(z.number().int().positive()).min(1),
  parameters: z.unknown(),
  riskLimits: z.unknown().optional(),
  isActive: z.boolean(),
});
export type StrategyConfig = z.infer<typeof strategyConfigSchema>;

/**
 * A signal without its envelope: exactly the `signal_generated` data. The runner wraps it with
 * createEvent and carries the tick's correlation id.
 */
export type SignalDraft = Signal;

/**
 * What the runner knows of this strategy's trading in the tick's instrument. A strategy decides on
 * both the position and what is pending: an order resting on the book is not held yet, but it
 * will be, so a second entry beside it would double the position, and a second exit beside a
 * pending one would sell what is already being sold.
 */
export interface StrategyContext {
  /**
   * Signed quantity held, summed from the strategy's fills (positive long, negative short, 0
   * flat). Includes the fills of exits and square-offs the engine placed on its own.
   */
  readonly position: number;
  /**
   * Shares of this strategy's BUY (SELL) signals that have not filled yet and whose order has not
   * ended: from the signal until its rejection, its order's rejection or cancellation, or the
   * fills of its whole quantity. Never negative.
   */
  readonly pendingBuy: number;
  readonly pendingSell: number;
}

/** Parameters every strategy type accepts besides its own. */
export const commonParameters = {
  /** Shares per opening order. */
  quantity: z.number().int().positive(),
  product: z.enum(['MIS', 'CNC']).default('MIS'),
  /** MARKET, or LIMIT at the tick's last price. */
  orderType: z.enum(['MARKET', 'LIMIT']).default('MARKET'),
  /** Whether a SELL signal may open a short position when flat. */
  allowShort: z.boolean().default(false),
  /** Protective exits attached to opening signals, as distances from the entry price. */
  stopLossBps: z.number().int().positive().max(5_000).optional(),
  takeProfitBps: z.number().int().positive().max(50_000).optional(),
  /** The instrument's tick size in paise (NSE equity: 5 paise for most stocks). */
  tickSize: z.number().int().positive().default(5),
};

export type CommonParameters = z.infer<z.ZodObject<typeof commonParameters>>;

export type Direction = 'BUY' | 'SELL';

/**
 * A strategy's view on one tick: which way it wants to be, and why. What it becomes is the
 * runner's business (signals.ts, intentFor): an entry, an exit, or nothing, from the position and
 * what is pending. A view depends on the ticks alone, so a runner may take the view of a tick at
 * once and turn it into a signal later, once an order in flight has its outcome.
 */
export interface StrategyView {
  direction: Direction;
  reason: string;
  /** 0..1; clamped when the signal is built. */
  confidence: number;
}

export interface StrategyStep<S> {
  state: S;
  view: StrategyView | null;
}

/**
 * One strategy type. State is per (strategy, instrument) and plain JSON data, so runners can
 * keep it in Redis or Postgres; `onTick` is a pure function of its arguments, and sees neither
 * the position nor the orders: those shape the signal, not the view.
 */
export interface StrategyDefinition<P extends CommonParameters, S> {
  readonly type: string;
  readonly description: string;
  readonly parametersSchema: z.ZodType<P, unknown>;
  initialState(parameters: P): S;
  onTick(parameters: P, state: S, tick: Tick): StrategyStep<S>;
}
