// Supervises one streaming service: runs it inside one long-running, heartbeating activity,
// restarts it with backoff when it fails, stops it cleanly on shutdown, and continues-as-new
// before its history grows large.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { Activities } from '../activities';
import { transitionTo } from '../core/domain/lifecycle';
import {
  serviceTaskQueue,
  restartServiceSignal,
  serviceAuthSignal,
  serviceStateSignal,
  shutdownSignal,
  supervisorStatusQuery,
  type ServiceState,
  type SupervisorInput,
  type SupervisorStatus,
} from './definitions';
import {
  restartBackoffMs,
  DEFAULT_STALL_AFTER_MS,
  SERVICE_STALLED_FAILURE,
  HEALTHY_RUN_MS,
  SERVICE_HEARTBEAT_TIMEOUT_MS,
} from './policy';

const runOptions: ActivityOptions = {
  // The service runs until cancelled; a missed heartbeat means its worker died or the service
  // stopped making progress (the activity heartbeats only while it does).
  startToCloseTimeout: '3650 days',
  heartbeatTimeout: SERVICE_HEARTBEAT_TIMEOUT_MS,
  // Restarts are the supervisor's job (with its own backoff and counting), not the activity's.
  retry: { maximumAttempts: 1 },
  // Wait for the service to flush and commit before the supervisor moves on.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};
const { runService } = proxyActivities<Activities>(runOptions);

export async function serviceSupervisorWorkflow(input: SupervisorInput): Promise<SupervisorStatus> {
  const { namespace, service } = input;
  const instance = input.instance ?? 1;
  // The service's own queue, beside this workflow's: only workers that host the service poll it.
  const taskQueue = serviceTaskQueue(workflowInfo().taskQueue, namespace, service);
  const label = `${service}${instance > 1 ? ` #${instance}` : ''} (${service === 'market-feed' ? 'shared' : namespace})`;
  const status = {
    service,
    namespace,
    state: 'starting' as ServiceState,
    restarts: input.restarts ?? 0,
    lastError: input.lastError ?? null,
    runningSince: null as string | null,
    needsAuth: null as string | null,
  };
  let shutdownRequested = input.pendingShutdown ?? false;
  let restartRequested = false;
  let currentRun: CancellationScope | undefined;
  let consecutiveFailures = 0;
  let runs = 0;

  setHandler(supervisorStatusQuery, () => ({ ...status }));
  setHandler(shutdownSignal, () => {
    shutdownRequested = true;
    if (currentRun) {
      currentRun.cancel();
      void transition('stopping');
    }
  });
  setHandler(restartServiceSignal, () => {
    restartRequested = true;
    currentRun?.cancel();
  });
  // The running service waits for a Zerodha login, or no longer does: not a state change (it runs
  // on, and is not restarted), but the startup workflow hears of it to ask for a login.
  setHandler(serviceAuthSignal, async (report) => {
    if (!currentRun) return; // from a run that has ended: the next run reports for itself
    const needsAuth = report.needsAuth ? (report.detail ?? 'waiting for a Zerodha login') : null;
    if (needsAuth === status.needsAuth) return;
    status.needsAuth = needsAuth;
    publishDetails();
    await reportState();
  });

  while (!shutdownRequested) {
    await transition('running');
    // The report above awaits the server: a shutdown or restart may have arrived meanwhile. The
    // check and the start happen in one step, so from here on the handlers see `currentRun`.
    if (shutdownRequested) break;
    restartRequested = false;
    const startedAt = Date.now();
    status.runningSince = new Date(startedAt).toISOString();
    let stalled = false;
    currentRun = new CancellationScope();
    try {
      await currentRun.run(() =>
        runService.executeWithOptions({ ...runOptions, taskQueue, summary: label }, [
          { namespace, service, stallAfterMs: input.stallAfterMs ?? DEFAULT_STALL_AFTER_MS },
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
        stalled = isStall(error);
        consecutiveFailures = Date.now() - startedAt >= HEALTHY_RUN_MS ? 1 : consecutiveFailures + 1;
      }
    } finally {
      currentRun = undefined;
      status.runningSince = null;
      // Reported with the next transition; a new run reports its own need of a login.
      status.needsAuth = null;
    }
    runs += 1;
    if (shutdownRequested) break;
    status.restarts += 1;
    // A stall is shown as such before the restart, so the status and the Web UI tell what happened.
    if (stalled) await transition('stalled');
    await transition('restarting');
    if (shutdownRequested) break;
    if (restartRequested) {
      restartRequested = false;
    } else {
      // Sleep through the backoff, but wake at once for a shutdown or a restart request.
      await condition(() => shutdownRequested || restartRequested, restartBackoffMs(consecutiveFailures), {
        summary: `Backoff before restart ${status.restarts} of ${service}`,
      });
      if (shutdownRequested) break;
    }
    const forced = input.continueAsNewAfterRuns !== undefined && runs >= input.continueAsNewAfterRuns;
    if (workflowInfo().continueAsNewSuggested || forced) {
      // Checked in the same step as continuing: nothing can arrive in between, and what arrives
      // with the same task makes the server refuse the continuation, so the next try sees it.
      if (shutdownRequested) break;
      await continueAsNew<typeof serviceSupervisorWorkflow>({
        ...input,
        restarts: status.restarts,
        lastError: status.lastError,
        pendingShutdown: shutdownRequested,
      });
    }
  }
  // Broke out while the service was (about to be) running: say it is stopping before it is stopped.
  if (status.state === 'running' || status.state === 'stalled') await transition('stopping');
  await transition('stopped');
  return { ...status };

  /** Moves to `state` (refusing a transition the lifecycle does not allow) and reports it. */
  async function transition(state: ServiceState): Promise<void> {
    if (status.state === state) return;
    status.state = transitionTo(status.state, state);
    publishDetails();
    await reportState();
  }

  function publishDetails() {
    const error = status.lastError ? `\n\nLast error: ${status.lastError}` : '';
    const auth = status.needsAuth ? `

Waiting for a Zerodha login: ${status.needsAuth}` : '';
    setCurrentDetails(`**${label}** — **${status.state}**, restarts: ${status.restarts}${error}${auth}`);
  }

  async function reportState(): Promise<void> {
    const report = {
      service,
      ...(instance > 1 ? { instance } : {}),
      state: status.state,
      restarts: status.restarts,
      lastError: status.lastError,
      needsAuth: status.needsAuth,
    };
    for (const workflowId of input.reportTo ?? []) {
      try {
        await getExternalWorkflowHandle(workflowId).signal(serviceStateSignal, report);
      } catch (error) {
        // The startup workflow may not be running (the feed reports to both namespaces): not our concern.
        if (isCancellation(error)) throw error;
      }
    }
  }
}

/** The run ended because the service stopped making progress or its worker stopped heartbeating. */
function isStall(error: unknown): boolean {
  if (!(error instanceof ActivityFailure)) return false;
  const cause = error.cause;
  if (cause instanceof TimeoutFailure) return cause.timeoutType === TimeoutType.HEARTBEAT;
  return cause instanceof ApplicationFailure && cause.type === SERVICE_STALLED_FAILURE;
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
