// The local stack as the application sees it: whatever `alpha-panda infra up` (or Docker)
// started on the configured addresses answers, the Web UI serves pages, and the search
// attributes the workflows set are registered.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import protos from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../core/config/load';
import { COMPONENT_NAMES } from '../scripts/infra/index';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEYWORD = protos.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/alpha-panda.mjs', ...args], { cwd: REPO_ROOT, env: process.env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('local infrastructure', () => {
  const config = getConfig();

  it('infra status reports all four components answering', async () => {
    const { code, stdout, stderr } = await runCli(['infra', 'status']);
    const states = new Map(
      stdout
        .split('\n')
        .map((line) => /^(\S+)\s+(answering|NOT answering)\s/.exec(line))
        .filter((match) => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    expect([...states.keys()].sort(), stdout + stderr).toEqual([...COMPONENT_NAMES].sort());
    for (const name of COMPONENT_NAMES) expect(states.get(name), `${name}\n${stdout}`).toBe('answering');
    expect(code).toBe(0);
  });

  it('serves the Temporal Web UI over HTTP on TEMPORAL__UI_PORT', async () => {
    const host = config.temporal.address.replace(/:\d+$/, '');
    const response = await fetch(`http://${host}:${config.temporal.uiPort}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/<html/i);
  });

  it('has the search attributes AlphaPandaNamespace and AlphaPandaPhase registered as Keyword', async () => {
    expect(SEARCH_ATTRIBUTES.map((key) => key.name).sort()).toEqual(['AlphaPandaNamespace', 'AlphaPandaPhase']);
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: config.temporal.namespace });
      for (const key of SEARCH_ATTRIBUTES) expect(customAttributes?.[key.name], key.name).toBe(KEYWORD);
    } finally {
      await connection.close();
    }
  });
});
