// The strategy registry, keyed by `strategy_type`, and loading a stored strategy configuration:
// its parameters (and risk-limit overrides) are validated once, with an error that names the
// strategy and every offending field.
import type { z } from 'zod';
import type { Tick } from '../../events';
import { riskLimitsOverrideSchema, type RiskLimitsOverride } from '../risk/limits';
import { lowFrequencyDemo } from './low-frequency-demo';
import { meanReversion } from './mean-reversion';
import { momentum } from './momentum';
import { rsiStrategy } from './rsi';
import {
  strategyConfigSchema,
  type CommonParameters,
  type SignalDraft,
  type StrategyConfig,
  type StrategyContext,
  type StrategyDefinition,
  type StrategyView,
} from './types';
import { buildSignal, intentFor, type SignalTick } from './signals';

// Each definition has its own parameter and state types; the registry erases them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategyDefinition = StrategyDefinition<any, any>;

export const STRATEGY_REGISTRY = {
  momentum,
  mean_reversion: meanReversion,
  rsi: rsiStrategy,
  low_frequency_demo: lowFrequencyDemo,
} as const satisfies Record<string, AnyStrategyDefinition>;

export type StrategyType = keyof typeof STRATEGY_REGISTRY;
export const STRATEGY_TYPES = Object.keys(STRATEGY_REGISTRY) as StrategyType[];

export function isStrategyType(value: unknown): value is StrategyType {
  return typeof value === 'string' && Object.hasOwn(STRATEGY_REGISTRY, value);
}

export class StrategyConfigError extends Error {
  override name = 'StrategyConfigError';
  constructor(
    readonly strategyId: string,
    readonly issues: string[],
  ) {
    super(`invalid strategy ${JSON.stringify(strategyId)}: ${issues.join('; ')}`);
  }
}

const describe = (prefix: string, error: z.ZodError) =>
  error.issues.map((issue) => `${[prefix, ...issue.path].join('.')}: ${issue.message}`);

/** Per-(strategy, instrument) state: plain JSON data owned by the strategy type. */
export type StrategyState = unknown;

export interface LoadedStrategy {
  readonly config: StrategyConfig;
  readonly strategyType: StrategyType;
  /** Parameters after validation, defaults filled in. */
  readonly parameters: CommonParameters & Record<string, unknown>;
  readonly riskLimits: RiskLimitsOverride;
  initialState(): StrategyState;
  /**
   * One tick for one instrument: the next state and the strategy's view. `state` is the
   * instrument's previous state (undefined on the first tick). Ticks of instruments the strategy
   * does not trade leave the state untouched; a non-tradable instrument (an index) or an inactive
   * strategy updates the state but has no view.
   */
  view(state: StrategyState | undefined, tick: Tick): { state: StrategyState; view: StrategyView | null };
  /** The signal a view calls for, given the position and what is pending (intentFor); null for none. */
  signalFor(view: StrategyView, tick: SignalTick, context: StrategyContext): SignalDraft | null;
  /** view, then signalFor at once: a tick's signals when the context is already known. */
  onTick(state: StrategyState | undefined, tick: Tick, context: StrategyContext): { state: StrategyState; signals: SignalDraft[] };
}

/** Validates a stored configuration and binds it to its strategy type. */
export function loadStrategy(input: unknown): LoadedStrategy {
  const id =
    typeof input === 'object' && input !== null && typeof (input as { id?: unknown }).id === 'string'
      ? (input as { id: string }).id
      : '(unknown id)';
  const parsedConfig = strategyConfigSchema.safeParse(input);
  if (!parsedConfig.success) throw new StrategyConfigError(id, describe('config', parsedConfig.error));
  const config = parsedConfig.data;

  if (!isStrategyType(config.strategyType)) {
    throw new StrategyConfigError(config.id, [
      `strategyType: unknown type ${JSON.stringify(config.strategyType)}; known types are ${STRATEGY_TYPES.join(', ')}`,
    ]);
  }
  const definition: AnyStrategyDefinition = STRATEGY_REGISTRY[config.strategyType];
  const parameters = definition.parametersSchema.safeParse(config.parameters ?? {});
  const riskLimits = riskLimitsOverrideSchema.safeParse(config.riskLimits ?? {});
  const issues = [
    ...(parameters.success ? [] : describe('parameters', parameters.error)),
    ...(riskLimits.success ? [] : describe('riskLimits', riskLimits.error)),
  ];
  if (!parameters.success || !riskLimits.success) throw new StrategyConfigError(config.id, issues);

  const bound = parameters.data as CommonParameters & Record<string, unknown>;
  const instruments = new Set(config.instruments);
  const view: LoadedStrategy['view'] = (state, tick) => {
    if (!instruments.has(tick.instrumentToken)) return { state: state ?? definition.initialState(bound), view: null };
    const step = definition.onTick(bound, state ?? definition.initialState(bound), tick);
    const acts = config.isActive && tick.tradable;
    return { state: step.state, view: acts ? step.view : null };
  };
  const signalFor: LoadedStrategy['signalFor'] = (taken, tick, context) => {
    const intent = intentFor(taken.direction, bound, context);
    return intent ? buildSignal(bound, tick, config.id, intent, taken) : null;
  };
  return {
    config,
    strategyType: config.strategyType,
    parameters: bound,
    riskLimits: riskLimits.data,
    initialState: () => definition.initialState(bound),
    view,
    signalFor,
    onTick(state, tick, context) {
      const step = view(state, tick);
      const signal = step.view ? signalFor(step.view, tick, context) : null;
      return { state: step.state, signals: signal ? [signal] : [] };
    },
  };
}
