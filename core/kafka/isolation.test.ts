import { describe, expect, it } from 'vitest';
import { consumerGroup } from '../domain/namespace';
import { dlqTopic, marketTicksTopic, namespaceTopics } from '../domain/topics';
import { assertIsolated, TEST_ISOLATION_ENV, TestIsolationError } from './isolation';

describe('test isolation guard', () => {
  it('is switched on for every test process by the test configuration', () => {
    expect(process.env[TEST_ISOLATION_ENV]).toBe('1');
  });

  it('refuses production topics, their DLQs and production consumer groups', () => {
    const production = [namespaceTopics('paper').ordersFilled, namespaceTopics('zerodha').signalsValidated, marketTicksTopic(), dlqTopic(marketTicksTopic())];
    for (const topic of production) {
      expect(() => assertIsolated({ topics: ['t1234abcd.paper.signals.raw', topic] }, 'producer'), topic).toThrow(TestIsolationError);
    }
    expect(() => assertIsolated({ groupId: consumerGroup('zerodha', 'trading-engine') }, 'consumer')).toThrow(/production consumer group alpha-panda\.zerodha\.trading-engine/);
  });

  it('lets prefixed topics and groups through', () => {
    const prefix = 't1234abcd.';
    const topics = Object.values(namespaceTopics('paper', prefix));
    expect(() => assertIsolated({ topics: [...topics, marketTicksTopic(prefix)], groupId: `${prefix}${consumerGroup('paper', 'risk-manager')}` }, 'consumer')).not.toThrow();
  });
});
