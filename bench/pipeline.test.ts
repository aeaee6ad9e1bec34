import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineCode } from './pipeline';
import { codeOf } from './report';
import type { PipelineRun } from './run';

describe('pipelineCode', () => {
  const before = process.env.ALPHA_PANDA_FROM_SOURCE;
  afterEach(() => {
    if (before === undefined) delete process.env.ALPHA_PANDA_FROM_SOURCE;
    else process.env.ALPHA_PANDA_FROM_SOURCE = before;
  });

  it('runs the sources through the TypeScript loader when told to, whatever build/ holds', () => {
    process.env.ALPHA_PANDA_FROM_SOURCE = '1';
    const code = pipelineCode();
    expect(code.from).toBe('source');
    expect(code.entry.endsWith('bench/pipeline-process.ts') && existsSync(code.entry)).toBe(true);
    expect(code.execArgv[0]).toBe('--import');
  });
});

describe('codeOf', () => {
  const result = (code?: 'build' | 'source') => ({ pipeline: { code } as PipelineRun });

  it('tells a run of the sources from one of the build', () => {
    expect(codeOf(result('build'))).toMatch(/^the compiled build/);
    expect(codeOf(result('source'))).toMatch(/TypeScript loader.*30 MiB more/);
    expect(codeOf(result())).toBe('code not recorded');
  });
});
