// What a user can ask of a running Alpha Panda, through the CLI or the HTTP API: start or attach
// to a namespace, read its status, hand over the Zerodha request_token, stop it.
import {
  Client,
  Connection,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, type QueryDefinition } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import proto from '@temporalio/proto';
import { tsToDate } from '@temporalio/common/lib/time.js';
import { observedState } from '../core/domain/lifecycle';
import type { Config } from '../core/config/load';
import { temporalDataConverter } from '../core/temporal/codec';
import { temporalConnectionOptions } from '../core/temporal/connection';
import { setTimeout as sleep } from 'node:timers/promises';
import { BROKER_NAMESPACES, NAMESPACE_SERVICES, type BrokerNamespace, type ServiceName } from '../core/domain/namespace';
import {
  restartServiceSignal,
  shutdownSignal,
  startupWorkflowId,
  statusQuery,
  submitRequestTokenUpdate,
  supervisorStatusQuery,
  supervisorWorkflowId,
  MARKET_FEED_WORKFLOW_ID,
  REQUEST_TOKEN_PATTERN,
  STARTUP_WORKFLOW_TYPE,
  TASK_QUEUE,
  type ServiceInstances,
  type StartupStatus,
  type SupervisorStatus,
  type TokenSubmissionResult,
} from '../workflows/definitions';
import { HEARTBEAT_STALE_MS } from '../workflows/policy';

const { temporal } = proto;

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '5 seconds' });
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: temporalDataConverter(config) });
}

export const webUiWorkflowUrl = (config: Config, workflowId: string) =>
  `http://127.0.0.1:${config.temporal.uiPort}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;

export interface StartOutcome {
  workflowId: string;
  runId: string;
  /** False when a run was already going and we attached to it. */
  started: boolean;
}

/** Starts the namespace's startup workflow, or attaches to the run already going. */
export async function startNamespace(
  client: Client,
  namespace: BrokerNamespace,
  taskQueue = TASK_QUEUE,
  instances?: ServiceInstances,
): Promise<StartOutcome> {
  const workflowId = startupWorkflowId(namespace);
  const alreadyRunning = await isRunning(client, workflowId);
  const handle = await client.workflow.start(STARTUP_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    // Only counts above one travel: a default start has the input it always had.
    args: [{ namespace, ...(instances && Object.values(instances).some((count) => count > 1) ? { instances } : {}) }],
    // Two starts racing end up on the same run rather than one of them failing.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return { workflowId, runId: handle.firstExecutionRunId, started: !alreadyRunning };
}

/** The instances per service that INSTANCES__* configure, for startNamespace. */
export function configuredInstances(config: Config): ServiceInstances {
  const { portfolioManager, tradingEngine, riskManager, strategyRunner } = config.instances;
  return {
    'portfolio-manager': portfolioManager,
    'trading-engine': tradingEngine,
    'risk-manager': riskManager,
    'strategy-runner': strategyRunner,
  };
}

export class NotRunningError extends Error {
  override name = 'NotRunningError';
}

export class NoWorkerError extends Error {
  override name = 'NoWorkerError';
}

/**
 * Signals and updates are handled by workflow code on a worker: with none polling, a stop or a
 * token would wait silently. Say so instead.
 */
export async function assertWorkerPolling(client: Client, taskQueue = TASK_QUEUE): Promise<void> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  if (!pollers || pollers.length === 0) {
    throw new NoWorkerError(
      `no worker is polling task queue '${taskQueue}' in Temporal namespace '${client.options.namespace}': ` +
        "start one with 'alpha-panda worker' (or 'alpha-panda run'), then try again",
    );
  }
}

/**
 * A workflow's status: asked of the running workflow (a query, answered by a worker), or for a
 * run that completed, its result, read from the history with no worker needed. A query of a
 * closed run would wait for a worker to replay it, and right after a stop the stopped worker is
 * still listed as polling for a while, so the check for a worker cannot tell beforehand.
 */
async function lastStatus<T>(handle: WorkflowHandle, description: WorkflowExecutionDescription, query: QueryDefinition<T>): Promise<T> {
  if (description.status.name === 'COMPLETED') return (await handle.result()) as T;
  return handle.query(query);
}

/** Whether reading the namespace's status needs a worker: not once its startup workflow has completed (it was stopped). */
export async function statusNeedsWorker(client: Client, namespace: BrokerNamespace): Promise<boolean> {
  try {
    return (await startupHandle(client, namespace).describe()).status.name !== 'COMPLETED';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return true;
    throw error;
  }
}

function startupHandle(client: Client, namespace: BrokerNamespace): WorkflowHandle {
  return client.workflow.getHandle(startupWorkflowId(namespace));
}

/** The startup workflow's own status; throws NotRunningError when it has never run. */
export async function readStatus(client: Client, namespace: BrokerNamespace): Promise<StartupStatus & { execution: string }> {
  const handle = startupHandle(client, namespace);
  try {
    const description = await handle.describe();
    const status = await lastStatus(handle, description, statusQuery);
    return { ...status, execution: description.status.name };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new NotRunningError(`'${namespace}' has never been started`);
    throw error;
  }
}

export interface ServiceReport extends SupervisorStatus {
  workflowId: string;
  /** Which instance of the service (INSTANCES__*), present from the second on. */
  instance?: number;
  /** The service's last heartbeat: messages processed, offsets, last event time. */
  progress: unknown;
  /** When Temporal last heard the service's activity heartbeat (ISO), null before the first. */
  lastHeartbeatAt: string | null;
}

/** More instances of a stage than this are never started (INSTANCES__* is at most 6). */
const MAX_INSTANCES = 6;

/** Live status of each supervisor of a namespace (and the shared feed), straight from them. */
export async function readServices(client: Client, namespace: BrokerNamespace): Promise<ServiceReport[]> {
  const services: ServiceName[] = ['market-feed', ...NAMESPACE_SERVICES];
  // Instance 1 of every service, then each further instance for as long as one is found.
  const perService = await Promise.all(
    services.map(async (service) => {
      const found: ServiceReport[] = [];
      for (let instance = 1; instance <= (service === 'market-feed' ? 1 : MAX_INSTANCES); instance += 1) {
        const report = await readSupervisor(client, namespace, service, instance);
        if (!report) break;
        found.push(report);
      }
      return found;
    }),
  );
  return perService.flat();
}

async function readSupervisor(client: Client, namespace: BrokerNamespace, service: ServiceName, instance: number): Promise<ServiceReport | undefined> {
  const workflowId = supervisorWorkflowId(namespace, service, instance);
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    const status = await lastStatus(handle, description, supervisorStatusQuery);
    const pending = description.raw.pendingActivities?.[0];
    // Raw from the server, so through the codecs (payload encryption) before the converter.
    const details = pending?.heartbeatDetails?.payloads ?? [];
    const progress = details.length > 0 ? await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, details) : null;
    const heartbeat = pending?.lastHeartbeatTime ? tsToDate(pending.lastHeartbeatTime) : null;
    // The supervisor learns of a dead worker or a wedged service only when Temporal times the
    // activity out; the heartbeat's age tells it at once (see observedState).
    const serviceState = (progress as { state?: unknown } | null)?.state;
    const state = observedState(status.state, heartbeat, new Date(), HEARTBEAT_STALE_MS, typeof serviceState === 'string' ? serviceState : undefined);
    return {
      ...status,
      ...(instance > 1 ? { instance } : {}),
      state,
      workflowId,
      progress,
      lastHeartbeatAt: heartbeat?.toISOString() ?? null,
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** Hands the request_token to the waiting workflow and answers whether it worked. */
export async function submitRequestToken(client: Client, namespace: BrokerNamespace, token: string): Promise<TokenSubmissionResult> {
  if (!REQUEST_TOKEN_PATTERN.test(token)) {
    return { accepted: false, message: 'malformed request_token: expected 6-64 letters and digits (copy it from the redirect URL)' };
  }
  try {
    return await startupHandle(client, namespace).executeUpdate(submitRequestTokenUpdate, { args: [token] });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new NotRunningError(`'${namespace}' is not running`);
    if (error instanceof WorkflowUpdateFailedError) {
      return { accepted: false, message: (error.cause as Error | undefined)?.message ?? error.message };
    }
    throw error;
  }
}

export interface NamespaceTokenResult extends TokenSubmissionResult {
  readonly namespace: BrokerNamespace;
}

/**
 * Hands the request_token to every namespace waiting for one, and answers each one's result
 * (none waiting: an empty list). A request_token works once, so it goes through the first waiting
 * namespace's `submitRequestToken` update only: once that one stored the session, the others pick
 * it up by themselves (their startup polls for a stored session) and this waits to see them do so;
 * when it was refused, the reason holds for the others too.
 */
export async function submitRequestTokenToWaiting(
  client: Client,
  token: string,
  options: { pickUpTimeoutMs?: number } = {},
): Promise<NamespaceTokenResult[]> {
  const waiting: BrokerNamespace[] = [];
  for (const namespace of BROKER_NAMESPACES) {
    const status = await readStatus(client, namespace).catch((error: unknown) => {
      if (error instanceof NotRunningError) return undefined;
      throw error;
    });
    if (status?.execution === 'RUNNING' && status.phase === 'awaiting-auth') waiting.push(namespace);
  }
  const [first, ...others] = waiting;
  if (!first) return [];
  const result = await submitRequestToken(client, first, token);
  const results: NamespaceTokenResult[] = [{ namespace: first, ...result }];
  for (const namespace of others) {
    if (!result.accepted) {
      results.push({ namespace, accepted: false, message: `${result.message} (not sent again: a request_token works once)` });
      continue;
    }
    const pickedUp = await waitForPhaseChange(client, namespace, 'awaiting-auth', options.pickUpTimeoutMs ?? 15_000);
    results.push({
      namespace,
      accepted: true,
      message: pickedUp
        ? `uses the session the '${first}' login stored`
        : `the session the '${first}' login stored is picked up within seconds (still waiting when this answered)`,
    });
  }
  return results;
}

async function waitForPhaseChange(client: Client, namespace: BrokerNamespace, phase: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await readStatus(client, namespace).catch(() => undefined);
    if (status && status.phase !== phase) return true;
    await sleep(500);
  }
  return false;
}

/** Asks the running namespace's startup workflow to restart one of its services. */
export async function restartService(client: Client, namespace: BrokerNamespace, service: ServiceName): Promise<void> {
  const status = await readStatus(client, namespace);
  if (status.execution !== 'RUNNING' || status.phase !== 'running') {
    throw new NotRunningError(`'${namespace}' is not running its services (phase ${status.phase})`);
  }
  await assertWorkerPolling(client);
  await startupHandle(client, namespace).signal(restartServiceSignal, service);
}

/**
 * Stops a namespace: its supervisors stop their services (which flush and commit) and the startup
 * workflow completes. The shared market feed stops too when no other namespace is still running.
 */
export async function stopNamespace(client: Client, namespace: BrokerNamespace): Promise<{ feedStopped: boolean }> {
  const handle = startupHandle(client, namespace);
  await assertWorkerPolling(client);
  try {
    await handle.signal(shutdownSignal);
    await handle.result().catch(() => undefined);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  const others = (['paper', 'zerodha'] as const).filter((ns) => ns !== namespace);
  for (const other of others) {
    if (await isRunning(client, startupWorkflowId(other))) return { feedStopped: false };
  }
  const feed = client.workflow.getHandle(MARKET_FEED_WORKFLOW_ID);
  if (!(await isRunning(client, MARKET_FEED_WORKFLOW_ID))) return { feedStopped: false };
  await feed.signal(shutdownSignal);
  await feed.result().catch(() => undefined);
  return { feedStopped: true };
}

export async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
