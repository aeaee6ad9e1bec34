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
}

export async function createWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  const connection = options.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config)));
  const resources = options.resources ?? new Resources(config);
  const activities = createActivities({ config, resources, createService: options.createService, now: () => new Date() });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities,
    // Payload encryption; codecs run outside the workflow sandbox, so the bundle is unchanged.
    dataConverter: temporalDataConverter(config),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // Streaming services run as long activities; on shutdown they get this long to flush and commit.
    shutdownGraceTime: '15 seconds',
    // Cancellation reaches an activity with its next heartbeat; keep that within a second or two
    // so a shutdown or restart request does not wait on the default throttle (up to 24 s here).
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
    maxConcurrentActivityTaskExecutions: 50,
  });
  return {
    worker,
    resources,
    connection,
    async run() {
      try {
        await worker.run();
      } finally {
        await resources.close();
        if (!options.connection) await connection.close();
      }
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
