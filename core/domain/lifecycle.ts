// The lifecycle of a supervised streaming service, as the supervisor and everything that reads
// its status see it. One table of allowed transitions; anything else is a bug and is refused.
// Pure (no I/O, no Node imports): the supervisor workflow runs it inside Temporal's sandbox.

export const SERVICE_STATES = ['starting', 'running', 'stalled', 'restarting', 'stopping', 'stopped', 'failed'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/**
 * - starting: the supervisor is about to hand the service to a worker.
 * - running: the service's activity is scheduled or running on a worker.
 * - stalled: the service stopped making progress (its heartbeat or liveness beat is too old).
 * - restarting: the run ended (failure, stall or restart request); waiting out the backoff.
 * - stopping: a shutdown was requested; the service is flushing and committing.
 * - stopped: finished on request (final).
 * - failed: the supervisor gave up or could not stop the service.
 */
const TRANSITIONS: Readonly<Record<ServiceState, readonly ServiceState[]>> = {
  starting: ['running', 'stopping', 'stopped', 'failed'],
  running: ['stalled', 'restarting', 'stopping', 'failed'],
  stalled: ['running', 'restarting', 'stopping', 'failed'],
  restarting: ['starting', 'running', 'stopping', 'stopped', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: ['restarting', 'stopping', 'stopped'],
};

export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
  constructor(
    readonly from: ServiceState,
    readonly to: ServiceState,
  ) {
    super(`a service cannot go from '${from}' to '${to}' (allowed: ${TRANSITIONS[from].join(', ') || 'none, it is final'})`);
  }
}

export function canTransition(from: ServiceState, to: ServiceState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The state after moving from `from` to `to`; staying in a state is allowed and changes nothing. */
export function transitionTo(from: ServiceState, to: ServiceState): ServiceState {
  if (from === to) return from;
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
  return to;
}

/** A service in one of these states will not change again without a new start. */
export const isSettled = (state: ServiceState): boolean => state === 'stopped' || state === 'failed';

/**
 * The state to show for a service the supervisor calls running, given how fresh its heartbeat is
 * and the state the service itself last reported in it (`waiting`: its broker is not answering).
 */
export function observedState(
  reported: ServiceState,
  lastHeartbeatAt: Date | null,
  now: Date,
  staleAfterMs: number,
  serviceReported?: string,
): ServiceState {
  if (reported !== 'running' || lastHeartbeatAt === null) return reported;
  if (serviceReported === 'waiting') return 'stalled';
  return now.getTime() - lastHeartbeatAt.getTime() > staleAfterMs ? 'stalled' : reported;
}
