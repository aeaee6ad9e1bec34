// The orchestration contract: task queue, workflow types and ids, signals, queries, updates and
// search attributes. Workflows, the worker, the CLI and the API all import these names from here.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { ServiceState } from '../core/domain/lifecycle';
import type { BrokerNamespace, ServiceName } from '../core/domain/namespace';

export type { ServiceState } from '../core/domain/lifecycle';

/** The workflows' task queue (and that of the activities that are not services). */
export const TASK_QUEUE = 'alpha-panda';

/**
 * The task queue of one service's activity, beside the workflows' queue `base`: a worker hosts a
 * service by polling its queue (`alpha-panda worker --services ...`), so Temporal places each
 * service on a worker that hosts it. `alpha-panda.paper.risk-manager`; the shared feed's is
 * `alpha-panda.market-feed`.
 */
export const serviceTaskQueue = (base: string, namespace: BrokerNamespace, service: ServiceName) =>
  service === 'market-feed' ? `${base}.${service}` : `${base}.${namespace}.${service}`;

/** How many instances of each service run (1 unless INSTANCES__<SERVICE> says otherwise). */
export type ServiceInstances = Readonly<Partial<Record<ServiceName, number>>>;

export const STARTUP_WORKFLOW_TYPE = 'startupWorkflow';
export const SUPERVISOR_WORKFLOW_TYPE = 'serviceSupervisorWorkflow';

export const startupWorkflowId = (namespace: BrokerNamespace) => `alpha-panda-${namespace}`;
export const MARKET_FEED_WORKFLOW_ID = 'alpha-panda-market-feed';
/** Instance 1 keeps the id a service had before it could have several: `...-risk-manager`, then `...-risk-manager-2`. */
export const supervisorWorkflowId = (namespace: BrokerNamespace, service: ServiceName, instance = 1) =>
  (service === 'market-feed' ? MARKET_FEED_WORKFLOW_ID : `alpha-panda-${namespace}-${service}`) + (instance > 1 ? `-${instance}` : '');

/** The key of a supervised instance in the startup status: the service's name, `risk-manager#2` for the second. */
export const instanceKey = (service: ServiceName, instance = 1) => (instance > 1 ? `${service}#${instance}` : service);

export const STARTUP_PHASES = [
  'health-checks',
  'awaiting-auth',
  'initializing',
  'starting-services',
  'running',
  'failed',
  'stopped',
] as const;
export type StartupPhase = (typeof STARTUP_PHASES)[number];

/** `pending`: the check cannot pass until the user logs in to Zerodha (it opens the auth gate). */
export type CheckOutcome = 'passed' | 'warning' | 'failed' | 'skipped' | 'pending';
export interface CheckResult {
  readonly name: string;
  readonly outcome: CheckOutcome;
  readonly detail: string;
}

export interface SupervisorStatus {
  readonly service: ServiceName;
  readonly namespace: BrokerNamespace;
  readonly state: ServiceState;
  readonly restarts: number;
  readonly lastError: string | null;
  /** When the current run of the service started (ISO), null while not running. */
  readonly runningSince: string | null;
  /** Why the running service waits for a Zerodha login (its session expired or was refused); null when it does not. */
  readonly needsAuth: string | null;
}

export interface StartupStatus {
  readonly namespace: BrokerNamespace;
  readonly phase: StartupPhase;
  readonly checks: readonly CheckResult[];
  readonly loginUrl: string | null;
  readonly authError: string | null;
  readonly authDeadline: string | null;
  readonly services: Readonly<Record<string, { workflowId: string; state: ServiceState | 'unknown' }>>;
  readonly failure: string | null;
}

export interface StartupInput {
  readonly namespace: BrokerNamespace;
  /** Set by continue-as-new: the application is already running; skip straight to supervision. */
  readonly resume?: {
    readonly checks: readonly CheckResult[];
    readonly services: StartupStatus['services'];
    /** Services waiting for a Zerodha login, with why (absent in runs that predate it). */
    readonly needsAuth?: Readonly<Record<string, string>>;
  };
  /** Set by continue-as-new when a shutdown arrived meanwhile: the new run stops at once. */
  readonly pendingShutdown?: boolean;
  /** Test switch: how long a shutdown waits for the services to stop (default 2 minutes). */
  readonly stopTimeoutMs?: number;
  /** Instances per service, from the configuration of whoever starts the namespace. */
  readonly instances?: ServiceInstances;
}

/** What a supervisor reports to the startup workflow of its namespace when its state changes. */
export interface ServiceStateReport {
  readonly service: ServiceName;
  /** Which instance of the service (absent: the first). */
  readonly instance?: number;
  readonly state: ServiceState;
  readonly restarts: number;
  readonly lastError: string | null;
  /**
   * Why the service waits for a Zerodha login (the session expired at 06:00 IST or Kite refused
   * it), null when it does not; absent from supervisors that predate it.
   */
  readonly needsAuth?: string | null;
}

/** What a service's activity tells its supervisor when its need of a Zerodha login changes. */
export interface ServiceAuthReport {
  readonly needsAuth: boolean;
  /** The service's own words (its health detail), never a token. */
  readonly detail: string | null;
}

export interface SupervisorInput {
  readonly namespace: BrokerNamespace;
  readonly service: ServiceName;
  /** Which instance of the service this supervisor runs (absent: the first); they share one consumer group. */
  readonly instance?: number;
  /** Carried across continue-as-new so restarts keep counting. */
  readonly restarts?: number;
  /** Carried across continue-as-new: a shutdown that arrived meanwhile is not lost. */
  readonly pendingShutdown?: boolean;
  /** How long the service may go without a liveness beat before it counts as stalled (ms). */
  readonly stallAfterMs?: number;
  readonly lastError?: string | null;
  /** Test switch: continue-as-new after this many service runs even if Temporal does not suggest it. */
  readonly continueAsNewAfterRuns?: number;
  /** Startup workflows (by id) told of every state change; the shared feed tells both namespaces. */
  readonly reportTo?: readonly string[];
}

export interface TokenSubmissionResult {
  readonly accepted: boolean;
  readonly message: string;
}

/** Fire-and-forget way to hand over the Zerodha request_token. */
export const requestTokenSignal = defineSignal<[string]>('requestToken');
/** Same as the signal, but answers whether the token worked. */
export const submitRequestTokenUpdate = defineUpdate<TokenSubmissionResult, [string]>('submitRequestToken');
export const statusQuery = defineQuery<StartupStatus>('status');
export const supervisorStatusQuery = defineQuery<SupervisorStatus>('status');
export const shutdownSignal = defineSignal<[]>('shutdown');
export const restartServiceSignal = defineSignal<[ServiceName]>('restartService');
/** Supervisor -> startup workflow: a service changed state. */
export const serviceStateSignal = defineSignal<[ServiceStateReport]>('serviceState');
/** Service activity -> its supervisor: the service now needs (or no longer needs) a Zerodha login. */
export const serviceAuthSignal = defineSignal<[ServiceAuthReport]>('serviceAuth');

export const namespaceSearchAttribute = defineSearchAttributeKey('AlphaPandaNamespace', 'KEYWORD');
export const phaseSearchAttribute = defineSearchAttributeKey('AlphaPandaPhase', 'KEYWORD');
export const SEARCH_ATTRIBUTES = [namespaceSearchAttribute, phaseSearchAttribute] as const;

/** Kite request tokens are 32 alphanumeric characters; anything else is refused before an activity runs. */
export const REQUEST_TOKEN_PATTERN = /^[A-Za-z0-9]{6,64}$/;
