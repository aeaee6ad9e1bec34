// Replays recorded histories (test/histories, written by test/record-histories.ts from real runs)
// against the current workflow code: a change that would break running workflows fails here.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { installRuntime } from '../workers/runtime';
import { bundleWorkflows } from '../workers/worker';

const historiesDir = new URL('./histories/', import.meta.url);
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(new URL(file, historiesDir), 'utf8')));
const files = readdirSync(historiesDir).filter((file) => file.endsWith('.json'));

describe('workflow replay', () => {
  let workflowBundle: Awaited<ReturnType<typeof bundleWorkflows>>;
  beforeAll(async () => {
    installRuntime();
    workflowBundle = await bundleWorkflows();
  });

  it('has recorded histories of both workflows', () => {
    expect(files.some((file) => file.startsWith('startup-'))).toBe(true);
    expect(files.some((file) => file.startsWith('supervisor-'))).toBe(true);
  });

  it.each(files)('replays %s against the current code', async (file) => {
    await expect(Worker.runReplayHistory({ workflowBundle }, load(file))).resolves.toBeUndefined();
  });

  it('fails when the startup workflow changes incompatibly', async () => {
    const incompatible = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/incompatible-workflows.ts', import.meta.url)),
    });
    const startupHistory = files.find((file) => file.startsWith('startup-'))!;
    await expect(Worker.runReplayHistory({ workflowBundle: incompatible }, load(startupHistory))).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });
});
