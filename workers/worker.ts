// Hosts the workflows (bundled from workflows/index.ts) and their activities on the task queue,
// and the services it is told to host on their own queues (workflows/definitions.ts
// serviceTaskQueue): one Temporal worker per queue, sharing the connection and the resources.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ServiceFactory } from '../activities';
import { eventClock } from '../core/clock';
import type { Config } from '../core/config/load';
import { getLogger } from '../core/logging';
import { temporalDataConverter } from '../core/temporal/codec';
import { temporalConnectionOptions } from '../core/temporal/connection';
import { Resources } from '../core/resources';
import { BROKER_NAMESPACES, ALL_SERVICES, type ServiceName } from '../core/domain/namespace';
import { serviceTaskQueue, TASK_QUEUE } from '../workflows/definitions';
import { STICKY_SCHEDULE_TO_START_MS } from '../workflows/policy';

/** A worker told to stop exits within this (plus closing its connections). */
export const SHUTDOWN_GRACE_MS = 10_000;

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once; tests reuse the bundle across workers. */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

export interface WorkerOptions {
  config: Config;
  createService: ServiceFactory;
  connection?: NativeConnection;
  taskQueue?: string;
  /** The services whose activities this worker runs (default all); the workflows run on every worker. */
  services?: readonly ServiceName[];
  workflowBundle?: WorkflowBundle;
  resources?: Resources;
}

export interface RunningWorker {
  /** The workflows' worker; shutting it down shuts the service workers down too. */
  worker: Worker;
  /** One per hosted service queue. */
  serviceWorkers: readonly Worker[];
  resources: Resources;
  connection: NativeConnection;
  /** Resolves when the worker has drained and every connection is closed. */
  run(): Promise<void>;
  /** Stops the services running here at once, then drains the worker (run() resolves). */
  shutdown(): void;
}

export async function createWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  const connection = options.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config)));
  const resources = options.resources ?? new Resources(config);
  const stopping = new AbortController();
  const activities = createActivities({
    config,
    resources,
    createService: options.createService,
    now: eventClock(config),
    workerStopping: stopping.signal,
  });
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  const common = {
    connection,
    namespace: config.temporal.namespace,
    // Payload encryption; codecs run outside the workflow sandbox, so the bundle is unchanged.
    dataConverter: temporalDataConverter(config),
    // Streaming services run as long activities. shutdown() stops them at once; this bounds how
    // long they may take to flush and commit, and run() gives up on them a little later.
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    shutdownForceTime: SHUTDOWN_GRACE_MS + 2_000,
    // Cancellation reaches an activity with its next heartbeat; keep that within a second or two
    // so a shutdown or restart request does not wait on the default throttle (up to 24 s here).
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
  } as const;
  const worker = await Worker.create({
    ...common,
    taskQueue,
    activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: 50,
    // After a worker dies, its workflows' next tasks wait this long on its sticky queue before any
    // other worker may take them (default 10 s): part of the failover budget (workflows/policy.ts).
    stickyQueueScheduleToStartTimeout: STICKY_SCHEDULE_TO_START_MS,
  });
  const serviceWorkers = await Promise.all(
    hostedQueues(taskQueue, options.services ?? ALL_SERVICES).map((queue) =>
      Worker.create({
        ...common,
        taskQueue: queue,
        // Activities only (no workflows): the service runner, one long activity per instance.
        activities: { runService: activities.runService },
        maxConcurrentActivityTaskExecutions: 50,
        // A service's activities are few and long: one poller per queue is plenty.
        maxConcurrentActivityTaskPolls: 1,
      }),
    ),
  );
  const shutdownAll = () => {
    stopping.abort();
    for (const each of [worker, ...serviceWorkers]) if (each.getState() === 'RUNNING') each.shutdown();
  };
  return {
    worker,
    serviceWorkers,
    resources,
    connection,
    async run() {
      try {
        // One worker failing stops the others; every one has drained before the resources close.
        const outcomes = await Promise.allSettled([worker, ...serviceWorkers].map((each) => each.run().finally(shutdownAll)));
        const failure = outcomes.find((outcome) => outcome.status === 'rejected');
        if (failure) throw failure.reason;
      } finally {
        stopping.abort();
        await resources.close();
        if (!options.connection) await connection.close();
      }
    },
    shutdown: shutdownAll,
  };
}

/** The queues of the hosted services: per namespace, and the shared feed's once. */
export function hostedQueues(base: string, services: readonly ServiceName[]): string[] {
  const queues = services.flatMap((service) => BROKER_NAMESPACES.map((namespace) => serviceTaskQueue(base, namespace, service)));
  return [...new Set(queues)];
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => getLogger('application').warn(meta ?? {}, message),
  error: (message: string, meta?: Record<string, unknown>) => getLogger('application').error(meta ?? {}, message),
  log: () => undefined,
};
