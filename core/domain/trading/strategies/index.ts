export * from './registry';
export type { CommonParameters, SignalDraft, StrategyConfig, StrategyContext, StrategyDefinition, StrategyStep, StrategyView } from './types';
export type { SignalTick } from './signals';
export { commonParameters, strategyConfigSchema } from './types';
