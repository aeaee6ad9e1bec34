// The paper namespace in mock mode on the real dev server, broker, Postgres and Redis: startup
// reaches `running` with every supervisor running, the phase is visible by query and search
// attribute, a failed health check stops startup before any service, and shutdown is clean.
import { WorkflowFailedError } from '@temporalio/client';
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServices, readStatus, startNamespace, stopNamespace } from '../api/operations';
import { ALL_SERVICES, consumerGroup } from '../core/domain/namespace';
import { marketTicksTopic } from '../core/domain/topics';
import { startupWorkflowId, supervisorWorkflowId, TASK_QUEUE } from '../workflows/definitions';
import { createTestApp, type TestApp } from './support/app';
import { waitFor } from './support/temporal';

describe('startup workflow, paper namespace in mock mode', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
    await app.seed();
  });
  afterAll(async () => app?.close());

  it('fails on a broken health check, naming it, and starts no service', async () => {
    const { running, done } = await app.startWorker({ REDIS__URL: 'redis://127.0.0.1:1/0' });
    const { client } = app.temporal;
    await startNamespace(client, 'paper');
    const failure = await client.workflow.getHandle(startupWorkflowId('paper')).result().catch((error) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = String((failure as WorkflowFailedError).cause?.message);
    expect(message).toMatch(/health check\(s\) failed/);
    expect(message).toMatch(/- redis: Redis at 127\.0\.0\.1:1 does not answer/);
    expect(message).not.toMatch(/- postgres:/);

    const status = await readStatus(client, 'paper');
    expect(status.phase).toBe('failed');
    expect(status.checks.find((check) => check.name === 'redis')?.outcome).toBe('failed');
    for (const service of ALL_SERVICES) {
      const id = supervisorWorkflowId('paper', service);
      await expect(client.workflow.getHandle(id).describe()).rejects.toThrow(/not found/i);
    }
    running.worker.shutdown();
    await done;
  });

  it('reaches running with every supervisor running, visible by query and search attribute', async () => {
    await app.startWorker();
    const { client } = app.temporal;
    const start = await startNamespace(client, 'paper', TASK_QUEUE);
    expect(start.started).toBe(true);

    const status = await waitFor(async () => {
      const current = await readStatus(client, 'paper');
      if (current.phase === 'failed') throw new Error(`startup failed: ${current.failure}`);
      return current.phase === 'running' && current;
    }, 'phase running');
    expect(status.checks.map((check) => check.name).sort()).toEqual(
      ['active-strategies', 'broker-api', 'market-hours', 'postgres', 'redis', 'redpanda', 'zerodha-credentials'].sort(),
    );
    expect(status.checks.filter((check) => check.outcome === 'failed')).toEqual([]);

    const services = await waitFor(async () => {
      const reports = await readServices(client, 'paper');
      return reports.length === ALL_SERVICES.length && reports.every((report) => report.state === 'running') && reports;
    }, 'every supervisor running');
    expect(services.map((service) => service.workflowId).sort()).toEqual(
      ALL_SERVICES.map((service) => supervisorWorkflowId('paper', service)).sort(),
    );

    const found = await waitFor(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query: `AlphaPandaPhase = "running" AND AlphaPandaNamespace = "paper"` })) {
        ids.push(execution.workflowId);
      }
      return ids.includes(startupWorkflowId('paper')) && ids;
    }, 'search attribute AlphaPandaPhase=running');
    expect(found).toContain('alpha-panda-paper');

    // The feed publishes real ticks and the strategy runner's consumer group commits offsets on them.
    const kafka = new Kafka({ brokers: app.config.redpanda.bootstrapServers, logLevel: 0 });
    const admin = kafka.admin();
    await admin.connect();
    const committed = await waitFor(async () => {
      // The app's own prefix: a test never reads or joins what a user's stack runs on the same broker.
      const prefix = app.config.redpanda.topicPrefix;
      const [offsets] = await admin.fetchOffsets({
        groupId: `${prefix}${consumerGroup('paper', 'strategy-runner')}`,
        topics: [marketTicksTopic(prefix)],
      });
      const total = offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      return total > 0 && total;
    }, 'strategy runner committing offsets on market.ticks');
    expect(committed).toBeGreaterThan(0);
    await admin.disconnect();
  });

  it('stops every service cleanly on shutdown and completes', async () => {
    const { client } = app.temporal;
    const { feedStopped } = await stopNamespace(client, 'paper');
    expect(feedStopped).toBe(true);
    const result = await client.workflow.getHandle(startupWorkflowId('paper')).result();
    expect(result.phase).toBe('stopped');
    for (const service of ALL_SERVICES) {
      const handle = client.workflow.getHandle(supervisorWorkflowId('paper', service));
      const outcome = await handle.result();
      expect(outcome).toMatchObject({ service, state: 'stopped', restarts: 0, lastError: null });
    }
  });
});
