// Durability of the orchestration on the real dev server: a worker killed with SIGKILL mid-run is
// replaced and the application carries on with no duplicate supervisors; a supervisor restarts
// its service on request and continues-as-new (forced by the test switch) keeping its counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { createTestApp, type TestApp } from './support/app';
import { waitFor } from './support/temporal';

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

  it('carries on after the worker is killed with SIGKILL, with no duplicate children', { timeout: 400_000 }, async () => {
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

    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    spawnWorker();

    // Each service's activity times out on its missed heartbeat and its supervisor restarts it
    // on the new worker.
    let latest: Awaited<ReturnType<typeof readServices>> = [];
    const services = await waitFor(async () => {
      latest = await readServices(client, 'paper');
      return latest.length === ALL_SERVICES.length && latest.every((s) => s.state === 'running' && s.restarts >= 1) && latest;
    }, 'every service restarted on the new worker', 180_000).catch((error: Error) => {
      throw new Error(`${error.message}; last seen: ${JSON.stringify(latest.map(({ service, state, restarts, lastError }) => ({ service, state, restarts, lastError })))}`);
    });
    for (const report of services) expect(report.lastError).toMatch(/heartbeat|timeout/i);

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
