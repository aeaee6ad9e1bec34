import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config/load';
import { Resources } from '../core/resources';
import { HealthTracker, type StreamingService } from '../core/service';
import { SERVICE_STALLED_FAILURE } from '../workflows/policy';
import { createServiceRunnerActivities, stalledForMs } from './service-runner';

/** A service whose loop beats every 50 ms until `wedge()` makes it hang. */
function fakeService() {
  const health = new HealthTracker();
  let wedged = false;
  const service: StreamingService = {
    name: 'fake',
    health: () => health.snapshot(),
    async start(signal) {
      health.setState('running');
      while (!signal.aborted) {
        if (!wedged) health.recordBeat();
        await sleep(50);
      }
      health.setState('stopped');
    },
  };
  return { service, wedge: () => (wedged = true) };
}

function runnerFor(service: StreamingService, stopGraceMs?: number) {
  const config = parseConfig({});
  return createServiceRunnerActivities({ config, resources: new Resources(config), createService: () => service, now: () => new Date(), stopGraceMs });
}

describe('runService liveness', () => {
  it('counts only a running service whose last beat is older than the threshold as stalled', () => {
    const startedAt = new Date('2026-03-02T10:00:00+05:30');
    const now = new Date('2026-03-02T10:01:00+05:30');
    const health = (state: 'running' | 'idle', lastBeatAt: string | null) =>
      ({ state, processed: 0, deadLettered: 0, lastOffsets: {}, lastEventAt: null, lastBeatAt }) as const;
    expect(stalledForMs(health('running', '2026-03-02T10:00:50+05:30'), startedAt, now, 45_000)).toBeNull();
    expect(stalledForMs(health('running', '2026-03-02T10:00:10+05:30'), startedAt, now, 45_000)).toBe(50_000);
    // Never beat: measured from the start of the run.
    expect(stalledForMs(health('running', null), startedAt, now, 45_000)).toBe(60_000);
    expect(stalledForMs(health('idle', null), startedAt, now, 45_000)).toBeNull();
  });

  it('keeps an idle but live service running and heartbeats its health', async () => {
    const { service } = fakeService();
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const run = env.run(runnerFor(service).runService, { namespace: 'paper' as const, service: 'risk-manager' as const, stallAfterMs: 300 });
    await sleep(1_500);
    env.cancel();
    await expect(run).rejects.toThrow(/stopped on request/);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.at(-1)).toMatchObject({ lastBeatAt: expect.any(String) });
  });

  it('fails the activity as stalled when the loop stops beating', async () => {
    const { service, wedge } = fakeService();
    const env = new MockActivityEnvironment();
    const run = env.run(runnerFor(service).runService, { namespace: 'paper' as const, service: 'risk-manager' as const, stallAfterMs: 300 });
    await sleep(200);
    wedge();
    const failure = await run.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(SERVICE_STALLED_FAILURE);
    expect((failure as ApplicationFailure).message).toMatch(/service stalled: no progress for \d+ s/);
  });

  it('ends a cancelled run whose service does not stop, once the stop grace has passed', async () => {
    const health = new HealthTracker();
    const hanging: StreamingService = {
      name: 'hanging',
      health: () => health.snapshot(),
      async start() {
        health.setState('running');
        health.recordBeat();
        await new Promise(() => undefined); // ignores the stop signal
      },
    };
    const env = new MockActivityEnvironment();
    const run = env.run(runnerFor(hanging, 300).runService, { namespace: 'paper' as const, service: 'risk-manager' as const });
    await sleep(200);
    const cancelledAt = Date.now();
    env.cancel();
    await expect(run).rejects.toThrow(/stopped on request/);
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(250);
  });
});
