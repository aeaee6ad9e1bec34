// Runs one streaming service inside a long-running activity: heartbeats its health as progress
// (visible as heartbeat details in the Web UI) while the service shows it is alive, fails the
// activity when the service is stuck, and stops it cleanly when the activity is cancelled. When
// the service starts or stops waiting for a Zerodha login (health.needsAuth), its supervisor is
// told with a signal, so that the startup workflow asks for a login; the service runs on.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { BrokerNamespace, ServiceName } from '../core/domain/namespace';
import { getLogger } from '../core/logging';
import type { ServiceHealth } from '../core/service';
import { serviceAuthSignal } from '../workflows/definitions';
import { DEFAULT_STALL_AFTER_MS, SERVICE_HEARTBEAT_INTERVAL_MS, SERVICE_STALLED_FAILURE } from '../workflows/policy';
import type { ActivityDeps } from './deps';

/** A stuck service gets this long to stop after it is told to, before the activity gives up on it. */
const STALLED_STOP_GRACE_MS = 5_000;
/**
 * A service told to stop (cancelled, or its worker stopping) gets this long to flush and commit.
 * Past it, the activity ends anyway: a shutdown must not wait forever on a service whose stop
 * hangs (the activity heartbeats while it waits, so no timeout would end it). An abandoned
 * service that wakes up later cannot commit over a newer run's state: the stage lock's WATCH on
 * its version fails a commit made after another instance's.
 */
export const SERVICE_STOP_GRACE_MS = 30_000;

/**
 * How long a running service has gone without a liveness beat, or null while it is alive (or not
 * yet running: connecting is bounded by the clients' own timeouts).
 */
export function stalledForMs(health: ServiceHealth, startedAt: Date, now: Date, stallAfterMs: number): number | null {
  if (health.state !== 'running') return null;
  const last = Math.max(startedAt.getTime(), health.lastBeatAt ? Date.parse(health.lastBeatAt) : 0);
  const silent = now.getTime() - last;
  return silent > stallAfterMs ? silent : null;
}

export function createServiceRunnerActivities(deps: ActivityDeps) {
  return {
    async runService({
      namespace,
      service,
      stallAfterMs = DEFAULT_STALL_AFTER_MS,
    }: {
      namespace: BrokerNamespace;
      service: ServiceName;
      stallAfterMs?: number;
    }): Promise<void> {
      const context = Context.current();
      const log = getLogger('application').child({ namespace, service });
      const instance = deps.createService(namespace, service);
      // The service stops on cancellation, or when we find it stuck.
      const stop = new AbortController();
      const onCancel = () => stop.abort();
      context.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      deps.workerStopping?.addEventListener('abort', onCancel, { once: true });
      const startedAt = deps.now();
      let stall: string | undefined;
      let noticeStall: (() => void) | undefined;
      const stalled = new Promise<void>((resolve) => (noticeStall = resolve));
      // What the supervisor was last told (a run starts with no login needed); one signal in flight
      // at a time, tried again on the next beat when it failed.
      let reportedNeedsAuth = false;
      let reporting = false;
      const reportAuth = (health: ServiceHealth) => {
        const needsAuth = health.needsAuth === true;
        const supervisor = context.info.workflowExecution?.workflowId;
        if (needsAuth === reportedNeedsAuth || reporting || supervisor === undefined) return;
        reporting = true;
        void Promise.resolve()
          .then(() => context.client.workflow.getHandle(supervisor).signal(serviceAuthSignal, { needsAuth, detail: health.detail ?? null }))
          .then(
            () => {
              reportedNeedsAuth = needsAuth;
              log[needsAuth ? 'warn' : 'info']({ detail: health.detail }, needsAuth ? 'service waits for a Zerodha login' : 'service has a Zerodha session again');
            },
            (error: unknown) => log.warn({ err: error }, 'could not tell the supervisor that the service needs a Zerodha login; trying again'),
          )
          .finally(() => (reporting = false));
      };
      // Heartbeats carry the service's health, and cancellation back to the activity: without them
      // a shutdown never arrives. A stuck service is not heartbeated for: it fails instead.
      const beat = () => {
        const health = instance.health();
        const silent = stalledForMs(health, startedAt, deps.now(), stallAfterMs);
        if (silent !== null && stall === undefined) {
          stall = `service stalled: no progress for ${Math.round(silent / 1000)} s (last liveness beat ${health.lastBeatAt ?? 'never'})`;
          log.error(health, stall);
          stop.abort();
          noticeStall?.();
        }
        context.heartbeat(health);
        if (stall === undefined && !stop.signal.aborted) reportAuth(health);
      };
      beat();
      const timer = setInterval(beat, SERVICE_HEARTBEAT_INTERVAL_MS);
      log.info({ attempt: context.info.attempt }, 'service starting');
      const running = instance.start(stop.signal);
      const stopGraceMs = deps.stopGraceMs ?? SERVICE_STOP_GRACE_MS;
      const abandoned = new Promise<void>((resolve) =>
        stop.signal.addEventListener('abort', () => void sleep(stopGraceMs, undefined, { ref: false }).then(resolve), { once: true }),
      );
      try {
        await Promise.race([running, stalled, abandoned.then(() => log.error({ graceMs: stopGraceMs }, 'service did not stop when told to; abandoning it'))]);
        if (stall !== undefined) {
          // Give the stuck service a moment to let go of its consumer and connections; a service
          // that is truly wedged is left behind (its consumer's session expires on the broker).
          const settled = await Promise.race([running.then(() => true, () => true), sleep(STALLED_STOP_GRACE_MS, false)]);
          if (!settled) log.error({ graceMs: STALLED_STOP_GRACE_MS }, 'stalled service did not stop; abandoning it');
          throw ApplicationFailure.nonRetryable(stall, SERVICE_STALLED_FAILURE, instance.health());
        }
      } catch (error) {
        log.error({ err: error }, 'service failed');
        throw error;
      } finally {
        clearInterval(timer);
        context.cancellationSignal.removeEventListener('abort', onCancel);
        deps.workerStopping?.removeEventListener('abort', onCancel);
      }
      if (context.cancellationSignal.aborted) {
        log.info(instance.health(), 'service stopped on request');
        throw new CancelledFailure('service stopped on request');
      }
      if (deps.workerStopping?.aborted) {
        log.info(instance.health(), 'service stopped: worker shutting down');
        throw ApplicationFailure.retryable('worker shutting down: the service stopped so that another worker takes it over', 'WorkerShutdown');
      }
      log.warn('service returned without being asked to stop');
    },
  };
}
