// The workflows' control flow at the awkward moments, on the real dev server with the real
// workflow code and activities that only do what the moment needs: a shutdown that arrives while
// a supervisor is starting its service, a stop that never completes, and an initialisation that
// fails after the health checks passed.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Activities } from '../activities';
import type { CheckResult } from '../workflows/definitions';
import {
  serviceTaskQueue,
  shutdownSignal,
  startupWorkflowId,
  statusQuery,
  supervisorStatusQuery,
  supervisorWorkflowId,
  STARTUP_WORKFLOW_TYPE,
  SUPERVISOR_WORKFLOW_TYPE,
} from '../workflows/definitions';
import { ALL_SERVICES } from '../core/domain/namespace';
import { installRuntime } from '../workers/runtime';
import { WORKFLOWS_PATH } from '../workers/worker';
import { testConfig } from './support/stack';
import { createTestTemporal, sharedWorkflowBundle, waitFor, type TestTemporal } from './support/temporal';

let slowReports: Promise<WorkflowBundle> | undefined;
const slowReportBundle = () =>
  (slowReports ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [fileURLToPath(new URL('./fixtures/slow-report-interceptor.ts', import.meta.url))],
  }));

type ServiceBehaviour = 'stops-when-cancelled' | 'ignores-cancellation';
/** Lets a stubborn service stop at last, so the test's worker can shut down. */
const released = { value: false };

/** Activities that pass every check and run a service that only heartbeats. */
function stubActivities(options: { service?: ServiceBehaviour; bootstrapTopics?: () => Promise<never> } = {}) {
  const started: string[] = [];
  const passed = (name: string): CheckResult => ({ name, outcome: 'passed', detail: 'stub' });
  const activities = {
    checkPostgres: async () => passed('postgres'),
    checkRedis: async () => passed('redis'),
    checkRedpanda: async () => passed('redpanda'),
    checkZerodhaCredentials: async () => passed('zerodha-credentials'),
    checkActiveStrategies: async () => passed('active-strategies'),
    checkBrokerApi: async () => passed('broker-api'),
    checkMarketHours: async () => passed('market-hours'),
    getAuthTimeoutSeconds: async () => 300,
    runMigrations: async () => [],
    bootstrapTopics: options.bootstrapTopics ?? (async () => ({ created: [], existing: 0 })),
    async runService({ service }: { service: string }) {
      started.push(service);
      const context = Context.current();
      for (;;) {
        context.heartbeat({ state: 'running' });
        const stubborn = options.service === 'ignores-cancellation' && !released.value;
        if (context.cancellationSignal.aborted && !stubborn) throw context.cancellationSignal.reason;
        await sleep(200);
      }
    },
  } satisfies Partial<Activities>;
  return { activities, started };
}

describe('workflow races', () => {
  let temporal: TestTemporal;
  let workers: { worker: Worker; done: Promise<void> }[] = [];

  beforeAll(async () => {
    installRuntime();
    temporal = await createTestTemporal(testConfig().temporal.address);
  });
  afterEach(async () => {
    released.value = true;
    for (const { worker } of workers) worker.shutdown();
    await Promise.all(workers.map(({ done }) => done));
    workers = [];
  });
  afterAll(async () => temporal?.close());

  /**
   * A worker on the workflows' queue and one on each paper service's queue (serviceTaskQueue), as
   * `alpha-panda worker` hosts them, so that the services' activities really start.
   */
  async function startWorker(activities: object, taskQueue: string, bundle = sharedWorkflowBundle) {
    const common = {
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      activities,
      shutdownGraceTime: '1 second',
      maxHeartbeatThrottleInterval: '200 milliseconds',
      defaultHeartbeatThrottleInterval: '200 milliseconds',
    };
    const created = [await Worker.create({ ...common, taskQueue, workflowBundle: await bundle() })];
    for (const service of ALL_SERVICES) {
      created.push(await Worker.create({ ...common, taskQueue: serviceTaskQueue(taskQueue, 'paper', service) }));
    }
    workers = created.map((worker) => ({ worker, done: worker.run() }));
  }

  beforeEach(() => {
    released.value = false;
  });

  it('stops a supervisor whose shutdown arrives while it is starting its service', async () => {
    const taskQueue = `races-${randomUUID()}`;
    const { activities, started } = stubActivities();
    await startWorker(activities, taskQueue, slowReportBundle);
    const workflowId = supervisorWorkflowId('paper', 'risk-manager');
    // The report goes to a workflow that exists, so only the interceptor's timer holds it up.
    const target = await temporal.client.workflow.start(SUPERVISOR_WORKFLOW_TYPE, {
      workflowId: `report-target-${randomUUID()}`,
      taskQueue: `nobody-polls-${randomUUID()}`,
      args: [{ namespace: 'paper', service: 'risk-manager' }],
    });
    const handle = await temporal.client.workflow.start(SUPERVISOR_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [{ namespace: 'paper', service: 'risk-manager', reportTo: [target.workflowId] }],
    });
    await waitFor(async () => {
      const history = await handle.fetchHistory();
      return history.events?.some((event) => event.timerStartedEventAttributes) ?? false;
    }, 'the supervisor inside its report, before the service starts');
    await handle.signal(shutdownSignal);
    const result = await Promise.race([handle.result(), sleep(15_000).then(() => 'still running after 15 s')]);
    expect(result).toMatchObject({ state: 'stopped' });
    expect(started).toEqual([]);
    await target.terminate('test cleanup');
  });

  it('carries a shutdown across continue-as-new', async () => {
    const taskQueue = `races-${randomUUID()}`;
    const { activities } = stubActivities();
    await startWorker(activities, taskQueue);
    const workflowId = supervisorWorkflowId('paper', 'trading-engine');
    const handle = await temporal.client.workflow.start(SUPERVISOR_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [{ namespace: 'paper', service: 'trading-engine', pendingShutdown: true }],
    });
    const result = await Promise.race([
      temporal.client.workflow.getHandle(workflowId).result(),
      sleep(15_000).then(() => 'still running after 15 s'),
    ]);
    expect(result).toMatchObject({ state: 'stopped', restarts: 0 });
    expect((await handle.query(supervisorStatusQuery)).state).toBe('stopped');
  });

  it('fails loudly, naming the services, when they do not stop in time', { timeout: 60_000 }, async () => {
    const taskQueue = `races-${randomUUID()}`;
    const { activities } = stubActivities({ service: 'ignores-cancellation' });
    await startWorker(activities, taskQueue);
    const handle = await temporal.client.workflow.start(STARTUP_WORKFLOW_TYPE, {
      workflowId: startupWorkflowId('paper'),
      taskQueue,
      args: [{ namespace: 'paper', stopTimeoutMs: 3_000 }],
    });
    await waitFor(async () => (await handle.query(statusQuery)).phase === 'running', 'phase running');
    await handle.signal(shutdownSignal);
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(/did not stop within 3 seconds: .*risk-manager/);
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('failed');
    expect(status.failure).toMatch(/did not stop/);
    for (const service of ['market-feed', 'strategy-runner', 'risk-manager', 'trading-engine', 'portfolio-manager', 'pipeline-monitor'] as const) {
      await temporal.client.workflow.getHandle(supervisorWorkflowId('paper', service)).terminate('test cleanup').catch(() => undefined);
    }
  });

  it('records a failed initialisation in the phase, the search attribute and the status', async () => {
    const taskQueue = `races-${randomUUID()}`;
    const { activities, started } = stubActivities({
      bootstrapTopics: async () => {
        throw ApplicationFailure.nonRetryable('broker refused to create topics', 'TopicsFailed');
      },
    });
    await startWorker(activities, taskQueue);
    const handle = await temporal.client.workflow.start(STARTUP_WORKFLOW_TYPE, {
      workflowId: `alpha-panda-init-${randomUUID()}`,
      taskQueue,
      args: [{ namespace: 'zerodha' }],
    });
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('failed');
    expect(status.failure).toMatch(/initializing.*broker refused to create topics/);
    const description = await handle.describe();
    expect(description.searchAttributes.AlphaPandaPhase).toEqual(['failed']);
    expect(started).toEqual([]);
  });
});
