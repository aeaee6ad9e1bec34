// Supervises one streaming service: runs it inside one long-running, heartbeating activity,
// restarts it with backoff when it fails, stops it cleanly on shutdown, and continues-as-new
// before its history grows large.
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  restartServiceSignal,
  serviceStateSignal,
  shutdownSignal,
  supervisorStatusQuery,
  type ServiceState,
  type SupervisorInput,
  type SupervisorStatus,
} from './definitions';
import { restartBackoffMs, HEALTHY_RUN_MS } from './policy';

const runOptions: ActivityOptions = {
  // The service runs until cancelled; a missed heartbeat means its worker died.
  startToCloseTimeout: '3650 days',
  heartbeatTimeout: '30 seconds',
  // Restarts are the supervisor's job (with its own backoff and counting), not the activity's.
  retry: { maximumAttempts: 1 },
  // Wait for the service to flush and commit before the supervisor moves on.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};
const { runService } = proxyActivities<Activities>(runOptions);

export async function serviceSupervisorWorkflow(input: SupervisorInput): Promise<SupervisorStatus> {
  const { namespace, service } = input;
  const status = {
    service,
    namespace,
    state: 'starting' as ServiceState,
    restarts: input.restarts ?? 0,
    lastError: input.lastError ?? null,
    runningSince: null as string | null,
  };
  let shutdownRequested = false;
  let restartRequested = false;
  let currentRun: CancellationScope | undefined;
  let consecutiveFailures = 0;
  let runs = 0;

  setHandler(supervisorStatusQuery, () => ({ ...status }));
  setHandler(shutdownSignal, () => {
    shutdownRequested = true;
    currentRun?.cancel();
  });
  setHandler(restartServiceSignal, () => {
    restartRequested = true;
    currentRun?.cancel();
  });

  while (!shutdownRequested) {
    const startedAt = Date.now();
    status.runningSince = new Date(startedAt).toISOString();
    await transition('running');
    try {
      currentRun = new CancellationScope();
      await currentRun.run(() =>
        runService.executeWithOptions({ ...runOptions, summary: `${service} (${service === 'market-feed' ? 'shared' : namespace})` }, [
          { namespace, service },
        ]),
      );
      // A service only returns on its own when it has nothing to do; treat it like a failure so it comes back.
      status.lastError = 'service returned without being asked to stop';
      consecutiveFailures += 1;
    } catch (error) {
      if (isCancellation(error) && (shutdownRequested || restartRequested)) {
        consecutiveFailures = 0;
      } else {
        status.lastError = describe(error);
        consecutiveFailures = Date.now() - startedAt >= HEALTHY_RUN_MS ? 1 : consecutiveFailures + 1;
      }
    } finally {
      currentRun = undefined;
      status.runningSince = null;
    }
    runs += 1;
    if (shutdownRequested) break;
    status.restarts += 1;
    await transition('restarting');
    if (restartRequested) {
      restartRequested = false;
    } else {
      // Sleep through the backoff, but wake at once for a shutdown.
      await condition(() => shutdownRequested, restartBackoffMs(consecutiveFailures), {
        summary: `Backoff before restart ${status.restarts} of ${service}`,
      });
      if (shutdownRequested) break;
    }
    const forced = input.continueAsNewAfterRuns !== undefined && runs >= input.continueAsNewAfterRuns;
    if (workflowInfo().continueAsNewSuggested || forced) {
      await continueAsNew<typeof serviceSupervisorWorkflow>({ ...input, restarts: status.restarts, lastError: status.lastError });
    }
  }
  await transition('stopped');
  return { ...status };

  async function transition(state: ServiceState): Promise<void> {
    if (status.state === state) return;
    status.state = state;
    const error = status.lastError ? `\n\nLast error: ${status.lastError}` : '';
    setCurrentDetails(`**${service}** (${namespace}) — **${state}**, restarts: ${status.restarts}${error}`);
    for (const workflowId of input.reportTo ?? []) {
      try {
        await getExternalWorkflowHandle(workflowId).signal(serviceStateSignal, {
          service,
          state,
          restarts: status.restarts,
          lastError: status.lastError,
        });
      } catch (error) {
        // The startup workflow may not be running (the feed reports to both namespaces): not our concern.
        if (isCancellation(error)) throw error;
      }
    }
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current) {
    if (current.message) parts.push(current.message);
    current = current.cause as typeof current;
  }
  return parts.join(': ') || String(error);
}
