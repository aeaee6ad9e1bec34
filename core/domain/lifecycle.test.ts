import { describe, expect, it } from 'vitest';
import { canTransition, isSettled, observedState, transitionTo, InvalidTransitionError, SERVICE_STATES } from './lifecycle';

describe('service lifecycle', () => {
  it('walks the supervisor paths: start, stall, restart, stop', () => {
    let state = transitionTo('starting', 'running');
    state = transitionTo(state, 'stalled');
    state = transitionTo(state, 'restarting');
    state = transitionTo(state, 'starting');
    state = transitionTo(state, 'running');
    state = transitionTo(state, 'stopping');
    expect(transitionTo(state, 'stopped')).toBe('stopped');
  });

  it('refuses transitions that make no sense, naming what is allowed', () => {
    expect(() => transitionTo('stopped', 'running')).toThrow(InvalidTransitionError);
    expect(() => transitionTo('stopped', 'running')).toThrow(/from 'stopped' to 'running' \(allowed: none, it is final\)/);
    expect(() => transitionTo('stopping', 'running')).toThrow(/allowed: stopped, failed/);
    expect(canTransition('starting', 'stalled')).toBe(false);
    expect(canTransition('running', 'starting')).toBe(false);
  });

  it('treats staying in a state as no change', () => {
    for (const state of SERVICE_STATES) expect(transitionTo(state, state)).toBe(state);
  });

  it('lets every state but stopped reach a stop', () => {
    for (const state of SERVICE_STATES.filter((s) => s !== 'stopped')) {
      expect(canTransition(state, 'stopped') || canTransition(state, 'stopping')).toBe(true);
    }
    expect(isSettled('stopped')).toBe(true);
    expect(isSettled('failed')).toBe(true);
    expect(isSettled('stalled')).toBe(false);
  });

  it('shows a running service as stalled once its heartbeat is older than the threshold', () => {
    const now = new Date('2026-03-02T10:00:10+05:30');
    expect(observedState('running', new Date('2026-03-02T10:00:06+05:30'), now, 5_000)).toBe('running');
    expect(observedState('running', new Date('2026-03-02T10:00:04+05:30'), now, 5_000)).toBe('stalled');
    expect(observedState('running', null, now, 5_000)).toBe('running');
    expect(observedState('stopping', new Date('2026-03-02T09:00:00+05:30'), now, 5_000)).toBe('stopping');
    // Heartbeating, but the service says its broker is not answering.
    expect(observedState('running', new Date('2026-03-02T10:00:06+05:30'), now, 5_000, 'waiting')).toBe('stalled');
    expect(observedState('running', new Date('2026-03-02T10:00:06+05:30'), now, 5_000, 'running')).toBe('running');
  });
});
