// Pure decisions the workflows make, kept apart so they can be unit-tested without Temporal.
import type { BrokerNamespace } from '../core/domain/namespace';
import type { CheckResult } from './definitions';

export const RESTART_BACKOFF_INITIAL_MS = 1_000;
export const RESTART_BACKOFF_MAX_MS = 60_000;
/** A run that stayed up this long counts as healthy: the next failure starts the backoff afresh. */
export const HEALTHY_RUN_MS = 120_000;

/** Delay before restart number `consecutiveFailures` (1-based): 1 s, 2 s, 4 s ... capped at 60 s. */
export function restartBackoffMs(consecutiveFailures: number): number {
  const exponent = Math.max(0, consecutiveFailures - 1);
  return Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_INITIAL_MS * 2 ** exponent);
}

export const failedChecks = (checks: readonly CheckResult[]) => checks.filter((check) => check.outcome === 'failed');

/** The message a failed startup carries: every failed check and why, and what to do next. */
export function healthReport(namespace: BrokerNamespace, checks: readonly CheckResult[]): string {
  const failed = failedChecks(checks);
  const lines = failed.map((check) => `  - ${check.name}: ${check.detail}`);
  return (
    `Startup of '${namespace}' failed: ${failed.length} health check(s) failed; no service was started.\n` +
    `${lines.join('\n')}\nFix the above and start the workflow again.`
  );
}

export function authTimeoutMessage(namespace: BrokerNamespace, timeoutSeconds: number): string {
  return (
    `Zerodha authentication timed out after ${timeoutSeconds} seconds: no valid request_token arrived for '${namespace}'. ` +
    `Start the workflow again (alpha-panda run --namespace ${namespace}), open the login URL it prints, ` +
    `and send the request_token with 'alpha-panda auth --namespace ${namespace} --request-token <token>' ` +
    `within AUTH__TIMEOUT_SECONDS.`
  );
}

/** One line per check for the Web UI's current details (Temporal markdown). */
export function checksMarkdown(checks: readonly CheckResult[]): string {
  const icon = { passed: 'ok', warning: 'warning', failed: 'FAILED', skipped: 'skipped', pending: 'waiting' } as const;
  return checks.map((check) => `- **${check.name}**: ${icon[check.outcome]} — ${check.detail}`).join('\n');
}
