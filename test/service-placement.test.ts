// Services on task queues of their own, and a stage with two instances: a worker process that
// hosts only the risk manager (`alpha-panda worker --services risk-manager`) runs both of its
// supervised instances, which share the stage's consumer group; every other service runs on the
// worker that hosts the rest, and a shutdown stops both instances.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServices, readStatus, startNamespace, stopNamespace } from '../api/operations';
import { ALL_SERVICES, consumerGroup, type ServiceName } from '../core/domain/namespace';
import { createKafka } from '../core/kafka/client';
import { startupWorkflowId, supervisorStatusQuery, supervisorWorkflowId, TASK_QUEUE } from '../workflows/definitions';
import { createTestApp, type TestApp } from './support/app';
import { waitFor } from './support/temporal';

const CLI = new URL('../bin/alpha-panda.mjs', import.meta.url).pathname;

describe('services placed by task queue, a stage with two instances', () => {
  let app: TestApp;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    app = await createTestApp();
    await app.seed();
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await app?.close();
  });

  it('runs both risk manager instances on the worker that hosts it, in one consumer group', { timeout: 300_000 }, async () => {
    const { client } = app.temporal;
    await app.startWorker({}, ALL_SERVICES.filter((service) => service !== 'risk-manager'));
    child = spawn(process.execPath, [CLI, 'worker', '--services', 'risk-manager'], {
      env: { ...process.env, ...app.env, LOG_DIR: mkdtempSync(join(tmpdir(), 'alpha-panda-worker-')), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await startNamespace(client, 'paper', TASK_QUEUE, { 'risk-manager': 2 });

    /** The identity of the worker running a supervisor's service, once it heartbeats. */
    const hostOf = async (service: ServiceName, instance = 1) => {
      const description = await client.workflow.getHandle(supervisorWorkflowId('paper', service, instance)).describe();
      const pending = description.raw.pendingActivities?.[0];
      return pending?.lastHeartbeatTime ? (pending.lastWorkerIdentity ?? undefined) : undefined;
    };
    const hosts = await waitFor(async () => {
      const entries = await Promise.all(
        [...ALL_SERVICES.map((service) => [service, 1] as const), ['risk-manager', 2] as const].map(
          async ([service, instance]) => [`${service}#${instance}`, await hostOf(service, instance)] as const,
        ),
      );
      return entries.every(([, host]) => host !== undefined) && Object.fromEntries(entries);
    }, 'every service instance heartbeating', 120_000);
    const childHost = `${child.pid}@`;
    expect(hosts['risk-manager#1']).toMatch(new RegExp(`^${childHost}`));
    expect(hosts['risk-manager#2']).toMatch(new RegExp(`^${childHost}`));
    for (const service of ALL_SERVICES.filter((name) => name !== 'risk-manager')) {
      expect(hosts[`${service}#1`]).not.toMatch(new RegExp(`^${childHost}`));
    }

    const status = await readStatus(client, 'paper');
    expect(status.services['risk-manager#2']).toEqual({ workflowId: supervisorWorkflowId('paper', 'risk-manager', 2), state: 'running' });
    const second = await client.workflow.getHandle(supervisorWorkflowId('paper', 'risk-manager', 2)).query(supervisorStatusQuery);
    expect(second).toMatchObject({ service: 'risk-manager', state: 'running' });
    // `status` and the API list every instance.
    const listed = (await readServices(client, 'paper')).map(({ service, instance }) => `${service}#${instance ?? 1}`);
    expect(listed.sort()).toEqual([...ALL_SERVICES.map((service) => `${service}#1`), 'risk-manager#2'].sort());

    // Two members of the one group, the partitions spread between them.
    const admin = createKafka(app.config).admin();
    await admin.connect();
    try {
      const group = `${app.config.redpanda.topicPrefix}${consumerGroup('paper', 'risk-manager')}`;
      const described = await waitFor(async () => {
        const [found] = (await admin.describeGroups([group])).groups;
        return found?.state === 'Stable' && found.members.length === 2 && found;
      }, 'both instances in the consumer group', 60_000);
      expect(described.members).toHaveLength(2);
    } finally {
      await admin.disconnect();
    }

    await stopNamespace(client, 'paper');
    const result = await client.workflow.getHandle(startupWorkflowId('paper')).result();
    expect(result.phase).toBe('stopped');
    expect(result.services['risk-manager#2']?.state).toBe('stopped');
    expect(result.services['risk-manager']?.state).toBe('stopped');
  });
});
