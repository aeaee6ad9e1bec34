// Background processes of the local stack: launched detached with their output in a log file,
// remembered by pid file, and stopped with SIGTERM, then SIGKILL after a grace period.
import { spawn, execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DetachedOptions {
  readonly logFile: string;
  readonly pidFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Starts a process in its own process group that outlives this one; returns its pid. */
export function spawnDetached(command: string, args: readonly string[], options: DetachedOptions): number {
  mkdirSync(dirname(options.logFile), { recursive: true });
  mkdirSync(dirname(options.pidFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    // A failed exec surfaces as an early exit, which the readiness check reports with the log.
    child.on('error', () => undefined);
    child.unref();
    writeFileSync(options.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function readPidFile(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether the pid is a live (not zombie) process whose command line contains `marker`; the
 * marker guards against a stale pid file whose number now belongs to an unrelated process.
 */
export function isAlive(pid: number, marker?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user, which is still "alive".
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const procDir = `/proc/${pid}`;
  if (!existsSync(procDir)) return true; // no procfs: trust the signal check
  try {
    const stat = readFileSync(`${procDir}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    if (marker === undefined) return true;
    return readFileSync(`${procDir}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false; // it exited while we looked
  }
}

/** The pid recorded in `pidFile` when that process is still alive and still the one we started. */
export function livePid(pidFile: string, marker: string): number | undefined {
  const pid = readPidFile(pidFile);
  return pid !== undefined && isAlive(pid, marker) ? pid : undefined;
}

function signal(pid: number, name: NodeJS.Signals): void {
  // Signal the whole process group first so that nothing it spawned is left behind.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, name);
      return;
    } catch {
      // not a group leader, or already gone
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/**
 * SIGTERM, then SIGKILL when the process has not exited after `graceMs`; removes the pid file.
 * Returns how it ended.
 */
export async function stopProcess(pid: number, graceMs: number, pidFile?: string): Promise<'terminated' | 'killed'> {
  signal(pid, 'SIGTERM');
  let outcome: 'terminated' | 'killed' = 'terminated';
  if (!(await waitForExit(pid, graceMs))) {
    outcome = 'killed';
    signal(pid, 'SIGKILL');
    if (!(await waitForExit(pid, 10_000))) throw new Error(`process ${pid} survived SIGKILL`);
  }
  if (pidFile) rmSync(pidFile, { force: true });
  return outcome;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; the error carries its output so failures explain themselves. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeoutMs ?? 0, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n');
          const how = error.killed ? `was killed (${error.signal ?? 'timeout'})` : `exited with ${String(error.code)}`;
          reject(new Error(`${command} ${args.join(' ')} ${how}${output ? `\n${output}` : ''}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** How many bytes a log holds now, so that a report can show only what a new run wrote. */
export function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

const PROBLEM = /\b(ERROR|FATAL|PANIC)\b|Exception:|already in use/;

/**
 * What a log says since `fromByte`: its lines that name a problem (the cause tends to sit far
 * above the shutdown noise at the end), then its last lines.
 */
export function logExcerpt(file: string, fromByte = 0, lines = 8): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file).subarray(fromByte).toString('utf8');
  const all = text.trimEnd().split('\n').filter((line) => line.trim() !== '');
  const last = all.slice(-lines);
  const problems = all.slice(0, -lines).filter((line) => PROBLEM.test(line)).slice(0, lines);
  return [...problems, ...(problems.length > 0 ? ['...'] : []), ...last].map((line) => line.slice(0, 300)).join('\n');
}

/** Whether an executable is on PATH (or at the given path). */
export function which(command: string): string | undefined {
  if (command.includes('/')) return existsSync(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/${command}`)) return `${dir}/${command}`;
  }
  return undefined;
}

/** Resolves when something accepts TCP connections on host:port; rejects at once when refused. */
export function tcpConnect(host: string, port: number, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`connect to ${host}:${port} timed out`)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}
