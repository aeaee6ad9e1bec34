import { describe, expect, it } from 'vitest';
import { assessPipeline, type MonitorThresholds, type PipelineObservation, type StageObservation } from './assess';

const thresholds: MonitorThresholds = { staleWarningMs: 15_000, staleCriticalMs: 60_000, lagWarning: 1_000, lagCritical: 10_000, stallMs: 30_000 };

const stage = (name: string, overrides: Partial<StageObservation> = {}): StageObservation => ({
  stage: name,
  steady: true,
  inputAgeMs: 100,
  lag: 0,
  stalledForMs: 0,
  ...overrides,
});

const flowing = (overrides: Partial<PipelineObservation> = {}): PipelineObservation => ({
  stages: [
    stage('market-feed', { lag: null }),
    stage('strategy-runner'),
    stage('risk-manager', { steady: false, inputAgeMs: 3_600_000 }),
    stage('trading-engine'),
    stage('portfolio-manager'),
  ],
  ticksAgeMs: 100,
  marketOpen: true,
  newDeadLetters: {},
  ...overrides,
});

const withStage = (name: string, overrides: Partial<StageObservation>, rest: Partial<PipelineObservation> = {}) => {
  const base = flowing(rest);
  if (!base.stages.some((s) => s.stage === name)) throw new Error(`no stage ${name} in the fixture`);
  return { ...base, stages: base.stages.map((s) => (s.stage === name ? { ...s, ...overrides } : s)) };
};

describe('assessPipeline', () => {
  it('is healthy when every stage is fed and keeping up, even if signals are rare', () => {
    const result = assessPipeline(flowing(), thresholds);
    expect(result.state).toBe('healthy');
    expect(result.reasons).toEqual([]);
    expect(result.stages.every((s) => s.status === 'healthy')).toBe(true);
  });

  it('warns, then turns critical, as a tick-fed stage goes without input during market hours', () => {
    const warning = assessPipeline(withStage('strategy-runner', { inputAgeMs: 15_000 }), thresholds);
    expect(warning.state).toBe('warning');
    expect(warning.stages.find((s) => s.stage === 'strategy-runner')?.status).toBe('warning');

    const critical = assessPipeline(withStage('strategy-runner', { inputAgeMs: 60_000 }), thresholds);
    expect(critical.state).toBe('critical');
    expect(critical.reasons[0]).toMatch(/strategy-runner: no input for 60\.0 s/);
  });

  it('never judges the input age of a stage fed only by signals', () => {
    expect(assessPipeline(withStage('risk-manager', { inputAgeMs: 10 * 60_000 }), thresholds).state).toBe('healthy');
  });

  it('judges lag against the warning and critical thresholds', () => {
    expect(assessPipeline(withStage('trading-engine', { lag: 999 }), thresholds).state).toBe('healthy');
    expect(assessPipeline(withStage('trading-engine', { lag: 1_000 }), thresholds).state).toBe('warning');
    const critical = assessPipeline(withStage('trading-engine', { lag: 10_000 }), thresholds);
    expect(critical.state).toBe('critical');
    expect(critical.reasons).toEqual(['trading-engine: 10000 messages behind']);
  });

  it('is degraded when a group with lag stops moving its offsets', () => {
    const stalled = assessPipeline(withStage('risk-manager', { lag: 3, stalledForMs: 30_000 }), thresholds);
    expect(stalled.state).toBe('degraded');
    expect(stalled.stages.find((s) => s.stage === 'risk-manager')?.status).toBe('degraded');
    expect(assessPipeline(withStage('risk-manager', { lag: 3, stalledForMs: 29_999 }), thresholds).state).toBe('healthy');
    // No lag: an idle group has nothing to move.
    expect(assessPipeline(withStage('risk-manager', { lag: 0, stalledForMs: 0 }), thresholds).state).toBe('healthy');
  });

  it('warns when messages were dead-lettered since the previous sample', () => {
    const result = assessPipeline(flowing({ newDeadLetters: { 'paper.signals.raw.dlq': 2, 'market.ticks.dlq': 0 } }), thresholds);
    expect(result.state).toBe('warning');
    expect(result.reasons).toEqual(['2 message(s) dead-lettered to paper.signals.raw.dlq']);
  });

  it('is idle while the market is closed and no ticks flow, whatever the input ages', () => {
    const closed = withStage('strategy-runner', { inputAgeMs: 3_600_000 }, { marketOpen: false, ticksAgeMs: 3_600_000 });
    const result = assessPipeline(
      { ...closed, stages: closed.stages.map((s) => ({ ...s, inputAgeMs: 3_600_000 })) },
      thresholds,
    );
    expect(result.state).toBe('idle');
    expect(result.quiet).toBe(true);
  });

  it('judges a closed market like an open one when ticks flow anyway (simulated feed)', () => {
    const result = assessPipeline(withStage('trading-engine', { inputAgeMs: 60_000 }, { marketOpen: false, ticksAgeMs: 100 }), thresholds);
    expect(result.quiet).toBe(false);
    expect(result.state).toBe('critical');
  });

  it('still reports a backlog while the market is closed', () => {
    const result = assessPipeline(
      withStage('portfolio-manager', { lag: 50, stalledForMs: 40_000 }, { marketOpen: false, ticksAgeMs: 3_600_000 }),
      thresholds,
    );
    expect(result.state).toBe('degraded');
  });

  it('takes the worst finding, and lists reasons worst first', () => {
    const base = flowing({ newDeadLetters: { 'paper.orders.filled.dlq': 1 } });
    const observation = {
      ...base,
      stages: base.stages.map((s) =>
        s.stage === 'risk-manager' ? { ...s, lag: 5, stalledForMs: 31_000 } : s.stage === 'market-feed' ? { ...s, inputAgeMs: 61_000 } : s,
      ),
    };
    const result = assessPipeline(observation, thresholds);
    expect(result.state).toBe('critical');
    expect(result.reasons.map((r) => r.split(':')[0])).toEqual(['market-feed', 'risk-manager', '1 message(s) dead-lettered to paper.orders.filled.dlq']);
  });

  it('is critical when the broker cannot be read', () => {
    const result = assessPipeline(flowing({ probeError: 'Connection error: ECONNREFUSED', marketOpen: false }), thresholds);
    expect(result.state).toBe('critical');
    expect(result.reasons).toEqual(['cannot read the broker: Connection error: ECONNREFUSED']);
  });
});
