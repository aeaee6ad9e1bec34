import { describe, expect, it } from 'vitest';
import { topicSpecs } from '../domain/topics';
import { minInSyncReplicasFor, planTopics, replicationFactorFor } from './topics';

describe('replicationFactorFor', () => {
  it('is the broker count, capped at three', () => {
    expect([1, 2, 3, 4, 9].map(replicationFactorFor)).toEqual([1, 2, 3, 3, 3]);
  });

  it('refuses an empty cluster', () => {
    expect(() => replicationFactorFor(0)).toThrow(/0 brokers/);
  });

  it('asks two in-sync replicas only when there are three', () => {
    expect([1, 2, 3].map(minInSyncReplicasFor)).toEqual([1, 1, 2]);
  });
});

describe('planTopics', () => {
  const specs = topicSpecs(['paper']);

  it('creates everything on an empty broker, DLQs included', () => {
    const plan = planTopics(specs, new Map());
    expect(plan.create.map((s) => s.name)).toEqual(specs.map((s) => s.name));
    expect(plan.create.map((s) => s.name)).toContain('paper.orders.filled.dlq');
    expect(plan.existing).toEqual([]);
  });

  it('creates nothing when every topic exists with enough partitions', () => {
    const plan = planTopics(specs, new Map(specs.map((s) => [s.name, s.partitions])));
    expect(plan.create).toEqual([]);
    expect(plan.grow).toEqual([]);
    expect(plan.existing).toHaveLength(specs.length);
  });

  it('raises partitions the table increased, and never lowers them', () => {
    const existing = new Map(specs.map((s) => [s.name, s.partitions]));
    existing.set('market.ticks', 2);
    existing.set('paper.signals.raw', 12);
    const plan = planTopics(specs, existing);
    expect(plan.grow).toEqual([{ topic: 'market.ticks', from: 2, to: 6 }]);
  });
});
