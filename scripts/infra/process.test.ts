import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, logExcerpt, readPidFile, spawnDetached, stopProcess } from './process';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'infra-process-'));
  dirs.push(dir);
  return dir;
};
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('background processes', () => {
  it('starts a detached process with a pid file and its output in the log, and stops it with SIGTERM', async () => {
    const dir = scratch();
    const pidFile = join(dir, 'run', 'echo.pid');
    const logFile = join(dir, 'logs', 'echo.log');
    const marker = `infra-process-test-${process.pid}`;
    const pid = spawnDetached('node', ['-e', `console.log('${marker} up'); setInterval(() => {}, 1000)`], { logFile, pidFile });
    started.push(pid);

    expect(readPidFile(pidFile)).toBe(pid);
    expect(isAlive(pid, marker)).toBe(true);
    expect(isAlive(pid, 'some-other-program')).toBe(false);
    await expect.poll(() => existsSync(logFile) && readFileSync(logFile, 'utf8')).toContain(`${marker} up`);

    expect(await stopProcess(pid, 5000, pidFile)).toBe('terminated');
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    const dir = scratch();
    const logFile = join(dir, 'stubborn.log');
    const pid = spawnDetached(
      'node',
      ['-e', "process.on('SIGTERM', () => console.log('ignored SIGTERM')); console.log('handler installed'); setInterval(() => {}, 1000)"],
      { logFile, pidFile: join(dir, 'stubborn.pid') },
    );
    started.push(pid);
    // Let it install its handler, or the default action would end it at once.
    await expect.poll(() => existsSync(logFile) && readFileSync(logFile, 'utf8')).toContain('handler installed');

    expect(await stopProcess(pid, 300)).toBe('killed');
    expect(isAlive(pid)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toContain('ignored SIGTERM');
  });

  it('treats a pid file with no live process behind it as stopped', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'stale.pid'), '999999999\n');
    const pid = readPidFile(join(dir, 'stale.pid'));
    expect(pid).toBe(999999999);
    expect(isAlive(pid!)).toBe(false);
  });
});

describe('log excerpts', () => {
  it('shows the problem lines and the end of what this run wrote, not earlier runs', () => {
    const file = join(scratch(), 'component.log');
    const earlier = 'old run ERROR something from yesterday\n';
    const current = ['starting', 'ERROR bind: Address already in use', ...Array.from({ length: 20 }, (_, i) => `shutdown step ${i}`)].join('\n');
    writeFileSync(file, earlier + current);

    const excerpt = logExcerpt(file, Buffer.byteLength(earlier), 3);
    expect(excerpt.split('\n')).toEqual(['ERROR bind: Address already in use', '...', 'shutdown step 17', 'shutdown step 18', 'shutdown step 19']);
    expect(excerpt).not.toContain('yesterday');
  });
});
