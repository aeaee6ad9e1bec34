// Plain-text rendering of statuses for the terminal.
import type { ServiceReport } from '../api/operations';
import type { CheckResult, StartupStatus } from '../workflows/definitions';

const OUTCOME_MARK: Record<CheckResult['outcome'], string> = {
  passed: 'ok  ',
  warning: 'warn',
  failed: 'FAIL',
  skipped: 'skip',
  pending: 'wait',
};

export function formatCheck(check: CheckResult): string {
  return `  [${OUTCOME_MARK[check.outcome]}] ${check.name.padEnd(20)} ${check.detail}`;
}

export function formatStatus(status: StartupStatus & { execution?: string }): string {
  const lines = [`${status.namespace}: phase ${status.phase}${status.execution ? ` (workflow ${status.execution.toLowerCase()})` : ''}`];
  lines.push(...status.checks.map(formatCheck));
  if (status.loginUrl) lines.push(`  login: ${status.loginUrl}${status.authDeadline ? ` (deadline ${status.authDeadline})` : ' (the session was lost while running: no deadline)'}`);
  if (status.authError) lines.push(`  last token: ${status.authError}`);
  if (status.failure) lines.push(`  failure: ${status.failure}`);
  return lines.join('\n');
}

export function formatServices(services: readonly ServiceReport[]): string {
  if (services.length === 0) return '  (no services started)';
  return services
    .map((service) => {
      const progress = service.progress as {
        processed?: number;
        deadLettered?: number;
        detail?: string;
        /** A live trading engine's venue (TradingEngineHealth.broker). */
        broker?: { differences?: string[] };
      } | null;
      const counts = progress ? ` processed=${progress.processed ?? 0} dlq=${progress.deadLettered ?? 0}` : '';
      const error = service.lastError ? ` last error: ${service.lastError}` : '';
      const name = service.instance ? `${service.service}#${service.instance}` : service.service;
      const login = service.needsAuth ? ` waiting for a Zerodha login: ${service.needsAuth}` : '';
      const lines = [`  ${name.padEnd(18)} ${service.state.padEnd(10)} restarts=${service.restarts}${counts}${error}${login}`];
      if (progress?.detail) lines.push(`    ${progress.detail}`);
      // What reconciliation found at the broker that the platform did not know: an operator must see it.
      const differences = progress?.broker?.differences ?? [];
      if (differences.length > 0) lines.push(`    differs from the broker at start (the broker's side adopted):`, ...differences.map((difference) => `      - ${difference}`));
      return lines.join('\n');
    })
    .join('\n');
}
