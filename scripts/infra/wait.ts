// Readiness by protocol: poll a probe until it answers, the deadline passes, or the process we
// started dies. Either failure names the component and points at its log.
import { setTimeout as sleep } from 'node:timers/promises';
import { logExcerpt } from './process';

/** How long a component may take to answer after launch: generous, the machines are shared. */
export const START_TIMEOUT_MS = 180_000;

export interface WaitOptions {
  readonly component: string;
  readonly address: string;
  readonly logFile: string;
  /** Where this run's part of the log begins. */
  readonly logOffset?: number;
  readonly timeoutMs: number;
  /** False once the launched process has exited, to fail at once instead of at the deadline. */
  readonly stillRunning?: () => boolean | Promise<boolean>;
  readonly intervalMs?: number;
}

export class ComponentError extends Error {
  constructor(component: string, message: string, logFile: string, logOffset = 0) {
    const excerpt = logExcerpt(logFile, logOffset);
    super(`${component}: ${message}\n  log: ${logFile}${excerpt ? `\n${indent(excerpt)}` : ''}`);
    this.name = 'ComponentError';
  }
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

export const describeError = (error: unknown) =>
  error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);

export async function waitUntil(probe: () => Promise<unknown>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    if (options.stillRunning && !(await options.stillRunning())) {
      throw new ComponentError(options.component, `exited before answering on ${options.address} (${describeError(lastError)})`, options.logFile, options.logOffset);
    }
    if (Date.now() >= deadline) {
      throw new ComponentError(
        options.component,
        `did not answer on ${options.address} within ${Math.round(options.timeoutMs / 1000)}s (last error: ${describeError(lastError)})`,
        options.logFile,
        options.logOffset,
      );
    }
    await sleep(options.intervalMs ?? 300);
  }
}
