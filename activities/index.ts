// Every activity the worker hosts, built from injected dependencies. Workflows import only the
// type (`import type { Activities }`) and reach them through proxyActivities.
import { createAuthActivities } from './auth';
import type { ActivityDeps } from './deps';
import { createHealthActivities } from './health';
import { createInitActivities } from './init';
import { createServiceRunnerActivities } from './service-runner';

export type { ActivityDeps, ServiceFactory } from './deps';

export function createActivities(deps: ActivityDeps) {
  const init = createInitActivities(deps);
  return {
    ...createHealthActivities(deps),
    ...createAuthActivities(deps, init),
    ...init,
    ...createServiceRunnerActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
