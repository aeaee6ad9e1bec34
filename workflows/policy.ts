// Pure decisions the workflows make, kept apart so they can be unit-tested without Temporal.
import type { BrokerNamespace } from '../core/domain/namespace';
import type { CheckResult } from './definitions';

export const RESTART_BACKOFF_INITIAL_MS = 1_000;
export const RESTART_BACKOFF_MAX_MS = 60_000;
/**
 * Failover budget. A worker that dies stops heartbeating; Temporal times its activities out after
 * SERVICE_HEARTBEAT_TIMEOUT_MS, the supervisor's next workflow task waits at most
 * STICKY_SCHEDULE_TO_START_MS for the dead worker's sticky queue before any worker takes it, the
 * first restart waits RESTART_BACKOFF_INITIAL_MS, and a polling worker picks the activity up:
 * about 5 + 2 + 1 + 1 s, inside the promised FAILOVER_MS with margin.
 */
export const FAILOVER_MS = 15_000;
export const SERVICE_HEARTBEAT_TIMEOUT_MS = 5_000;
/** How often a running service heartbeats (and so how fast a cancellation reaches it). */
export const SERVICE_HEARTBEAT_INTERVAL_MS = 1_000;
export const STICKY_SCHEDULE_TO_START_MS = 2_000;
/**
 * A heartbeat older than this shows the service as `stalled` in status reads (three missed
 * beats), before Temporal's timeout ends the run.
 */
export const HEARTBEAT_STALE_MS = 3 * SERVICE_HEARTBEAT_INTERVAL_MS;
/**
 * A service whose consuming loop has not polled, handled or retried for this long is stuck (not
 * idle: an idle loop still polls every few seconds): its activity fails and it is restarted.
 * Longer than any single I/O call may take (each is bounded by a timeout) plus a retry delay.
 */
export const DEFAULT_STALL_AFTER_MS = 45_000;
/** The failure type of a service activity whose service stopped making progress. */
export const SERVICE_STALLED_FAILURE = 'ServiceStalled';

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
