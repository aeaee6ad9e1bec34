// Durability of the orchestration on the real dev server: a worker killed with SIGKILL mid-run is
// replaced and the application carries on with no duplicate supervisors; a supervisor restarts
// its service on request and continues-as-new (forced by the test switch) keeping its counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServices, readStatus, startNamespace, stopNamespace } from '../api/operations';
import { ALL_SERVICES } from '../core/domain/namespace';
import {
  restartServiceSignal,
  shutdownSignal,
  startupWorkflowId,
  supervisorStatusQuery,
  supervisorWorkflowId,
  SUPERVISOR_WORKFLOW_TYPE,
  TASK_QUEUE,
} from '../workflows/definitions';
import { FAILOVER_MS } from '../workflows/policy';
import { createTestApp, type TestApp } from './support/app';
import { waitFor } from './support/temporal';

const { temporal } = proto;
const CLI = new URL('../bin/alpha-panda.mjs', import.meta.url).pathname;

describe('supervision', () => {
  let app: TestApp;
  const children: ChildProcess[] = [];

  const spawnWorker = () => {
    const child = spawn(process.execPath, [CLI, 'worker'], {
      env: { ...process.env, ...app.env, LOG_DIR: mkdtempSync(join(tmpdir(), 'alpha-panda-worker-')), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    app = await createTestApp();
    await app.seed();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await app?.close();
  });

  it('fails over within 15 s after the worker is killed with SIGKILL, with no duplicate children', { timeout: 400_000 }, async () => {
    const { client } = app.temporal;
    const first = spawnWorker();
    await startNamespace(client, 'paper', TASK_QUEUE);
    // Running means more than scheduled: each service's activity has heartbeated on this worker.
    await waitFor(async () => {
      const services = await readServices(client, 'paper');
      return services.length === ALL_SERVICES.length && services.every((s) => s.state === 'running' && s.progress !== null);
    }, 'every service running on the first worker', 90_000);
    const runIdsBefore = await supervisorRunIds();
    const startupRunBefore = (await client.workflow.getHandle(startupWorkflowId('paper')).describe()).runId;

    // A standby worker, polling before the first one dies: failover is about taking over, not
    // about how long a process takes to boot.
    spawnWorker();
    await waitFor(async () => (await pollerCount()) >= 2, 'the standby worker polling', 90_000);

    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const killedAt = Date.now();

    // Each service's activity times out on its missed heartbeat and its supervisor restarts it on
    // the standby worker, where it heartbeats again (fresh progress from the new attempt).
    let latest: Awaited<ReturnType<typeof readServices>> = [];
    const recoveredAt: Partial<Record<string, number>> = {};
    const services = await waitFor(async () => {
      latest = await readServices(client, 'paper');
      for (const s of latest) {
        if (s.state === 'running' && s.restarts >= 1 && s.progress !== null) recoveredAt[s.service] ??= Date.now();
      }
      return latest.length === ALL_SERVICES.length && ALL_SERVICES.every((service) => recoveredAt[service] !== undefined) && latest;
    }, 'every service restarted on the standby worker', 60_000).catch((error: Error) => {
      throw new Error(`${error.message}; last seen: ${JSON.stringify(latest.map(({ service, state, restarts, lastError }) => ({ service, state, restarts, lastError })))}`);
    });
    for (const report of services) expect(report.lastError).toMatch(/heartbeat|timeout/i);
    const recovery = Object.fromEntries(ALL_SERVICES.map((service) => [service, recoveredAt[service]! - killedAt]));
    process.stderr.write(`failover after SIGKILL (ms): ${JSON.stringify(recovery)}\n`);
    for (const service of ALL_SERVICES) expect(recovery[service], service).toBeLessThan(FAILOVER_MS);

    expect(await supervisorRunIds()).toEqual(runIdsBefore);
    const startup = client.workflow.getHandle(startupWorkflowId('paper'));
    expect((await startup.describe()).runId).toBe(startupRunBefore);
    expect((await readStatus(client, 'paper')).phase).toBe('running');
    for (const service of ALL_SERVICES) {
      const executions = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId = "${supervisorWorkflowId('paper', service)}"` })) {
        executions.push(execution);
      }
      expect(executions).toHaveLength(1);
    }

    await stopNamespace(client, 'paper');
    expect((await startup.result()).phase).toBe('stopped');
  });

  it('restarts a service on request and continues-as-new keeping its restart count', async () => {
    const { client } = app.temporal;
    if (children.every((child) => child.exitCode !== null)) spawnWorker();
    const workflowId = supervisorWorkflowId('zerodha', 'risk-manager');
    const handle = await client.workflow.start(SUPERVISOR_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [{ namespace: 'zerodha', service: 'risk-manager', continueAsNewAfterRuns: 1 }],
    });
    await waitFor(async () => (await handle.query(supervisorStatusQuery)).state === 'running', 'supervisor running');

    await handle.signal(restartServiceSignal, 'risk-manager');
    const latest = client.workflow.getHandle(workflowId);
    const after = await waitFor(async () => {
      const description = await latest.describe();
      const status = await latest.query(supervisorStatusQuery);
      return description.runId !== handle.firstExecutionRunId && status.state === 'running' && { description, status };
    }, 'a new run after continue-as-new');
    expect(after.status.restarts).toBe(1);
    expect(after.status.lastError).toBeNull();

    await latest.signal(shutdownSignal);
    expect(await latest.result()).toMatchObject({ state: 'stopped', restarts: 1 });
  });

  it('exits within its grace time on SIGTERM, with every connection closed', { timeout: 300_000 }, async () => {
    const { client } = app.temporal;
    // Only the worker under test runs the services: the earlier ones leave first.
    for (const child of children.filter((c) => c.exitCode === null && c.signalCode === null)) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    const worker = spawnWorker();
    await waitFor(async () => (await pollerCount()) >= 1, 'the worker polling', 90_000);
    await startNamespace(client, 'paper', TASK_QUEUE);
    await waitFor(async () => {
      const services = await readServices(client, 'paper');
      return services.length === ALL_SERVICES.length && services.every((s) => s.state === 'running' && s.progress !== null);
    }, 'every service running', 90_000);

    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    const signalledAt = Date.now();
    worker.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'still alive after 20 s' as const)]);
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(15_000);

    spawnWorker();
    await stopNamespace(client, 'paper');
  });

  async function pollerCount(): Promise<number> {
    const { pollers } = await app.temporal.client.workflowService.describeTaskQueue({
      namespace: app.temporal.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    return new Set((pollers ?? []).map((poller) => poller.identity)).size;
  }

  async function supervisorRunIds(): Promise<Record<string, string>> {
    const entries = await Promise.all(
      ALL_SERVICES.map(async (service) => {
        const id = supervisorWorkflowId('paper', service);
        return [id, (await app.temporal.client.workflow.getHandle(id).describe()).runId] as const;
      }),
    );
    return Object.fromEntries(entries);
  }
});
