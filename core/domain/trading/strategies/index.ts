export * from './registry';
export type { CommonParameters, SignalDraft, StrategyConfig, StrategyContext, StrategyDefinition, StrategyStep, StrategyView } from './types';
export { commonParameters, strategyConfigSchema } from './types';
