// `alpha-panda status` when there is nothing to answer it (no worker polling, or no Temporal
// server at all: one line that says so and a non-zero exit, never a stack trace), and the
// kill-switch line it prints for a running namespace, following `risk kill-switch on|off`.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNamespace, stopNamespace } from '../api/operations';
import { installRuntime } from '../workers/runtime';
import { createTestApp, type TestApp } from './support/app';
import { testConfig } from './support/stack';
import { createTestTemporal, type TestTemporal } from './support/temporal';

const CLI = new URL('../bin/alpha-panda.mjs', import.meta.url).pathname;

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const runStatus = (env: Record<string, string>) => runCli(['status', '--namespace', 'paper'], env);

describe('alpha-panda status without anyone to answer', () => {
  let temporal: TestTemporal;
  beforeAll(async () => {
    installRuntime();
    temporal = await createTestTemporal(testConfig().temporal.address);
  });
  afterAll(async () => temporal?.close());

  it('says in one line that no worker is polling, and exits non-zero', async () => {
    const { code, stdout, stderr } = await runStatus({ TEMPORAL__NAMESPACE: temporal.namespace });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^Cannot read the status of 'paper': no worker is polling task queue 'alpha-panda'.*alpha-panda worker/);
  });

  it('says in one line that Temporal does not answer, and exits non-zero', async () => {
    const { code, stderr } = await runStatus({ TEMPORAL__ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^Temporal does not answer at 127\.0\.0\.1:1 .*alpha-panda infra up/);
  });
});

describe('alpha-panda status of a running namespace', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
    await app.seed();
    await app.startWorker();
    await startNamespace(app.temporal.client, 'paper');
  });
  afterAll(async () => {
    if (app) await stopNamespace(app.temporal.client, 'paper').catch(() => undefined);
    await app?.close();
  });

  const killSwitchLines = (stdout: string) => stdout.split('\n').filter((line) => line.includes('Kill switch'));

  it("prints the kill switch's state: on with its reason once set, off again once cleared", async () => {
    const before = await runStatus(app.env);
    expect(before.code, before.stderr).toBe(0);
    expect(killSwitchLines(before.stdout)).toEqual([`  Kill switch of 'paper' is OFF: signals are checked by the risk rules.`]);

    const on = await runCli(['risk', 'kill-switch', 'on', '--namespace', 'paper', '--reason', 'desk halt'], app.env);
    expect(on.code, on.stderr).toBe(0);
    const halted = await runStatus(app.env);
    expect(halted.code, halted.stderr).toBe(0);
    const [line, ...others] = killSwitchLines(halted.stdout);
    expect(others).toEqual([]);
    expect(line).toMatch(/^ {2}Kill switch of 'paper' is ON since \S+ \(reason: desk halt\): new exposure is halted/);

    const off = await runCli(['risk', 'kill-switch', 'off', '--namespace', 'paper'], app.env);
    expect(off.code, off.stderr).toBe(0);
    expect(killSwitchLines((await runStatus(app.env)).stdout)).toEqual([`  Kill switch of 'paper' is OFF: signals are checked by the risk rules.`]);
  });

  it('once the namespace is stopped and no worker runs, prints its last status from the history', async () => {
    await stopNamespace(app.temporal.client, 'paper');
    await app.stopWorkers();
    const { code, stdout, stderr } = await runStatus(app.env);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^paper: phase stopped \(workflow completed\)/);
    for (const service of ['market-feed', 'strategy-runner', 'risk-manager', 'trading-engine', 'portfolio-manager', 'pipeline-monitor']) {
      expect(stdout).toMatch(new RegExp(`${service}\\b.*\\bstopped\\b`));
    }
  });
});
