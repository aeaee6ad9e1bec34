// `alpha-panda status` when there is nothing to answer it: no worker polling, or no Temporal
// server at all. One line that says so and a non-zero exit, never a stack trace.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRuntime } from '../workers/runtime';
import { testConfig } from './support/stack';
import { createTestTemporal, type TestTemporal } from './support/temporal';

const CLI = new URL('../bin/alpha-panda.mjs', import.meta.url).pathname;

function runStatus(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'status', '--namespace', 'paper'], {
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
