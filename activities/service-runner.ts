// Runs one streaming service inside a long-running activity: heartbeats its health as progress
// (visible as heartbeat details in the Web UI), and stops it cleanly when the activity is cancelled.
import { CancelledFailure, Context } from '@temporalio/activity';
import type { BrokerNamespace, ServiceName } from '../core/domain/namespace';
import { getLogger } from '../core/logging';
import type { ActivityDeps } from './deps';

/** Well inside the supervisor's 30-second heartbeat timeout, and how fast a cancellation arrives. */
const HEARTBEAT_INTERVAL_MS = 1_000;

export function createServiceRunnerActivities(deps: ActivityDeps) {
  return {
    async runService({ namespace, service }: { namespace: BrokerNamespace; service: ServiceName }): Promise<void> {
      const context = Context.current();
      const log = getLogger('application').child({ namespace, service });
      const instance = deps.createService(namespace, service);
      // Heartbeats also carry cancellation to the activity: without them a shutdown never arrives.
      const beat = () => context.heartbeat(instance.health());
      beat();
      const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
      log.info({ attempt: context.info.attempt }, 'service starting');
      try {
        await instance.start(context.cancellationSignal);
      } catch (error) {
        log.error({ err: error }, 'service failed');
        throw error;
      } finally {
        clearInterval(timer);
      }
      if (context.cancellationSignal.aborted) {
        log.info(instance.health(), 'service stopped on request');
        throw new CancelledFailure('service stopped on request');
      }
      log.warn('service returned without being asked to stop');
    },
  };
}
