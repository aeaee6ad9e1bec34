// Hosts the workflows (bundled from workflows/index.ts) and the activities on the task queue.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ServiceFactory } from '../activities';
import type { Config } from '../core/config/load';
import { getLogger } from '../core/logging';
import { temporalDataConverter } from '../core/temporal/codec';
import { temporalConnectionOptions } from '../core/temporal/connection';
import { Resources } from '../core/resources';
import { TASK_QUEUE } from '../workflows/definitions';
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
  workflowBundle?: WorkflowBundle;
  resources?: Resources;
}

export interface RunningWorker {
  worker: Worker;
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
    now: () => new Date(),
    workerStopping: stopping.signal,
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities,
    // Payload encryption; codecs run outside the workflow sandbox, so the bundle is unchanged.
    dataConverter: temporalDataConverter(config),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // Streaming services run as long activities. shutdown() stops them at once; this bounds how
    // long they may take to flush and commit, and run() gives up on them a little later.
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    shutdownForceTime: SHUTDOWN_GRACE_MS + 2_000,
    // Cancellation reaches an activity with its next heartbeat; keep that within a second or two
    // so a shutdown or restart request does not wait on the default throttle (up to 24 s here).
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
    maxConcurrentActivityTaskExecutions: 50,
    // After a worker dies, its workflows' next tasks wait this long on its sticky queue before any
    // other worker may take them (default 10 s): part of the failover budget (workflows/policy.ts).
    stickyQueueScheduleToStartTimeout: STICKY_SCHEDULE_TO_START_MS,
  });
  return {
    worker,
    resources,
    connection,
    async run() {
      try {
        await worker.run();
      } finally {
        stopping.abort();
        await resources.close();
        if (!options.connection) await connection.close();
      }
    },
    shutdown() {
      stopping.abort();
      if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => getLogger('application').warn(meta ?? {}, message),
  error: (message: string, meta?: Record<string, unknown>) => getLogger('application').error(meta ?? {}, message),
  log: () => undefined,
};
