// Routes the Temporal SDK's own log lines into our application log at WARN and above.
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { getLogger } from '../core/logging';

let installed = false;

const NO_WORKFLOWS_WARNING = 'No workflows registered, not polling for workflow tasks';

/**
 * With `handleSignals` (the default, for `alpha-panda worker`) SIGINT/SIGTERM shut workers down
 * gracefully; `run` handles the signals itself to stop the namespace first.
 */
export function installRuntime({ handleSignals = true }: { handleSignals?: boolean } = {}): void {
  if (installed) return;
  installed = true;
  const log = getLogger('application').child({ component: 'temporal-sdk' });
  Runtime.install({
    ...(handleSignals ? {} : { shutdownSignals: [] }),
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      // Said once by every service queue's worker, which hosts activities only by design.
      if (entry.message === NO_WORKFLOWS_WARNING) return;
      const level = entry.level === 'ERROR' ? 'error' : 'warn';
      // The SDK passes errors under `error`; pino serialises them only under `err`.
      const { error, ...meta } = entry.meta ?? {};
      log[level]({ ...meta, ...(error ? { err: error } : {}) }, entry.message);
    }),
  });
}
