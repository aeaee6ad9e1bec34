import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_ERRORS, ApiError, classifyError } from './errors';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('error catalog', () => {
  it("equals the README's table of codes, status by status", () => {
    const section = readme.slice(readme.indexOf('| code | status | meaning |'));
    const rows = [...section.slice(0, section.indexOf('\n\n')).matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(Object.entries(API_ERRORS).map(([code, { status }]) => [code, status]));
  });

  it('answers 500 internal, not 503, for an error that is not Temporal', () => {
    expect(classifyError(new Error('boom'))).toMatchObject({ code: 'internal', unexpected: true });
    expect(classifyError(new ApiError('conflict', 'x'))).toEqual({ code: 'conflict', message: 'x' });
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14, details: 'connection refused', metadata: {} });
    expect(classifyError(new Error('query failed', { cause: unavailable })).code).toBe('temporal_unavailable');
  });
});
