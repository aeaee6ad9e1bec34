import { describe, expect, it } from 'vitest';
import { namespaceTopics } from '../../core/domain/topics';
import type { OffsetsReading, PartitionEnds } from './probe';
import { pipelineLayout } from './stages';
import { PipelineTracker } from './tracker';

const topics = namespaceTopics('paper');
const layout = pipelineLayout('paper', topics, 'market.ticks');
const start = new Date('2026-11-23T04:00:00.000Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

/** A reading where each listed topic has one partition with the given end (and start) offset. */
function reading(ends: Record<string, number | [high: number, low: number]>, committed: Record<string, Record<string, number>> = {}): OffsetsReading {
  const all = [...layout.topics, ...layout.deadLetterTopics];
  const partitions = (topic: string): PartitionEnds[] => {
    const value = ends[topic] ?? 0;
    const [high, low] = Array.isArray(value) ? value : [value, 0];
    return [{ partition: 0, high: String(high), low: String(low) }];
  };
  return {
    ends: new Map(all.map((topic) => [topic, partitions(topic)])),
    committed: new Map(
      Object.entries(committed).map(([group, byTopic]) => [
        group,
        new Map(Object.entries(byTopic).map(([topic, offset]) => [topic, new Map([[0, String(offset)]])])),
      ]),
    ),
  };
}

describe('pipelineLayout', () => {
  it('judges input age only for the stages that receive ticks (signals come when strategies signal)', () => {
    expect(layout.stages.filter((stage) => stage.steady).map((stage) => stage.stage)).toEqual([
      'market-feed',
      'strategy-runner',
      'trading-engine',
      'portfolio-manager',
    ]);
  });

  // Zerodha fills the live orders: its engine reads validated signals alone.
  it('gives the paper trading engine the ticks and the zerodha one none', () => {
    const engineInputs = (ns: 'paper' | 'zerodha') =>
      pipelineLayout(ns, namespaceTopics(ns), 'market.ticks').stages.find((stage) => stage.stage === 'trading-engine')!.inputs;
    expect(engineInputs('paper')).toEqual(['paper.signals.validated', 'market.ticks']);
    expect(engineInputs('zerodha')).toEqual(['zerodha.signals.validated']);
  });
});

describe('PipelineTracker', () => {
  it('measures throughput over the interval and when each topic last moved', () => {
    const tracker = new PipelineTracker(layout, start);
    const first = tracker.observe(reading({ 'market.ticks': 100 }), at(1));
    expect(first.topics.find((t) => t.topic === 'market.ticks')).toMatchObject({ messages: 100, perSecond: 0, lastEventAt: null, ageMs: 1000 });

    const second = tracker.observe(reading({ 'market.ticks': 150 }), at(6));
    expect(second.topics.find((t) => t.topic === 'market.ticks')).toMatchObject({
      messages: 150,
      perSecond: 10,
      lastEventAt: at(6).toISOString(),
      ageMs: 0,
    });
    // A topic that has not moved since the monitor started ages from the start.
    expect(second.topics.find((t) => t.topic === topics.signalsRaw)).toMatchObject({ perSecond: 0, lastEventAt: null, ageMs: 6000 });

    const third = tracker.observe(reading({ 'market.ticks': 150 }), at(16));
    expect(third.topics.find((t) => t.topic === 'market.ticks')).toMatchObject({ perSecond: 0, ageMs: 10_000 });
    expect(third.observation.ticksAgeMs).toBe(10_000);
  });

  it('computes each group lag and how long a group with lag has not moved', () => {
    const tracker = new PipelineTracker(layout, start);
    const group = 'alpha-panda.paper.risk-manager';
    tracker.observe(reading({ [topics.signalsRaw]: 50 }, { [group]: { [topics.signalsRaw]: 43 } }), at(1));
    const later = tracker.observe(reading({ [topics.signalsRaw]: 50 }, { [group]: { [topics.signalsRaw]: 43 } }), at(31));
    const risk = later.stages.find((s) => s.stage === 'risk-manager')!;
    expect(risk.lag).toBe(7);
    expect(risk.lagByTopic).toEqual({
      [topics.signalsRaw]: 7,
      [topics.ordersFilled]: 0,
      [topics.ordersRejected]: 0,
      [topics.ordersCancelled]: 0,
      [topics.pnlSnapshots]: 0,
    });
    expect(risk.stalledForMs).toBe(31_000);

    const moving = tracker.observe(reading({ [topics.signalsRaw]: 60 }, { [group]: { [topics.signalsRaw]: 55 } }), at(36));
    expect(moving.stages.find((s) => s.stage === 'risk-manager')).toMatchObject({ lag: 5, stalledForMs: 0 });
  });

  it('counts a group that never committed as behind by everything on the log', () => {
    const tracker = new PipelineTracker(layout, start);
    const observed = tracker.observe(reading({ 'market.ticks': [500, 200] }), at(1));
    expect(observed.stages.find((s) => s.stage === 'strategy-runner')?.lag).toBe(300);
    expect(observed.stages.find((s) => s.stage === 'market-feed')?.lag).toBeNull();
  });

  it('counts dead letters and the new ones since the previous sample', () => {
    const tracker = new PipelineTracker(layout, start);
    const dlq = `${topics.ordersFilled}.dlq`;
    const first = tracker.observe(reading({ [dlq]: 3 }), at(1));
    expect(first.deadLetters.find((d) => d.topic === dlq)).toEqual({ topic: dlq, messages: 3, newSincePrevious: 0 });
    const second = tracker.observe(reading({ [dlq]: [5, 1] }), at(6));
    expect(second.deadLetters.find((d) => d.topic === dlq)).toEqual({ topic: dlq, messages: 4, newSincePrevious: 2 });
    expect(second.observation.newDeadLetters[dlq]).toBe(2);
  });
});
