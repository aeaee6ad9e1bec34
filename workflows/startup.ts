// The durable startup of one broker namespace: health checks, the Zerodha auth gate,
// initialisation, then one supervisor per streaming service; afterwards it stays running as the
// application's control point (status, shutdown, restartService).
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NAMESPACE_SERVICES, type ServiceName } from '../core/domain/namespace';
import {
  instanceKey,
  namespaceSearchAttribute,
  phaseSearchAttribute,
  requestTokenSignal,
  restartServiceSignal,
  serviceStateSignal,
  shutdownSignal,
  startupWorkflowId,
  statusQuery,
  submitRequestTokenUpdate,
  supervisorWorkflowId,
  REQUEST_TOKEN_PATTERN,
  SUPERVISOR_WORKFLOW_TYPE,
  type CheckResult,
  type StartupInput,
  type StartupPhase,
  type StartupStatus,
  type TokenSubmissionResult,
} from './definitions';
import { authTimeoutMessage, checksMarkdown, failedChecks, healthReport } from './policy';

/** Short retries: a component that is still starting gets a few seconds before the check fails. */
const checkOptions: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
};
const checks = proxyActivities<Activities>(checkOptions);
// A token exchange is never retried: a request_token is single-use, a second try cannot succeed.
const auth = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
const initOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
};
const init = proxyActivities<Activities>(initOptions);

/** How long a shutdown waits for every supervisor to report its service stopped. */
const STOP_TIMEOUT_MS = 120_000;

/** While waiting for a token, look this often for a session another namespace stored meanwhile. */
const SESSION_POLL_MS = 5_000;

/** After a login that replaced a lost session, how long the services get to report they resumed. */
const SESSION_PICK_UP_MS = 30_000;

export async function startupWorkflow(input: StartupInput): Promise<StartupStatus> {
  const { namespace } = input;
  const status = {
    namespace,
    phase: 'health-checks' as StartupPhase,
    checks: [...(input.resume?.checks ?? [])] as CheckResult[],
    loginUrl: null as string | null,
    authError: null as string | null,
    authDeadline: null as string | null,
    services: { ...(input.resume?.services ?? {}) } as Record<string, StartupStatus['services'][string]>,
    failure: null as string | null,
  };
  let shutdownRequested = input.pendingShutdown ?? false;
  /** Namespace services whose supervisors this run started (the ones to stop if startup fails). */
  const started: ServiceName[] = [];
  const stopTimeoutMs = input.stopTimeoutMs ?? STOP_TIMEOUT_MS;
  const pendingTokens: string[] = [];
  const restartRequests: ServiceName[] = [];
  let authenticated = false;
  /** The instances of a service, 1..n (INSTANCES__*); the shared feed has one. */
  const instancesOf = (service: ServiceName): number[] => {
    const count = service === 'market-feed' ? 1 : Math.max(1, Math.floor(input.instances?.[service] ?? 1));
    return Array.from({ length: count }, (_, index) => index + 1);
  };
  /** Every supervised instance of `services`, as [service, instance]. */
  const supervised = (services: readonly ServiceName[]) =>
    services.flatMap((service) => instancesOf(service).map((instance) => [service, instance] as const));
  /** Running services that wait for a Zerodha login (the session expired or Kite refused it), with why. */
  const needsAuth: Record<string, string> = { ...(input.resume?.needsAuth ?? {}) };

  // Queries must not hand out the live object (the sandbox has no structuredClone).
  const snapshot = (): StartupStatus => JSON.parse(JSON.stringify(status)) as StartupStatus;
  const enter = (phase: StartupPhase) => {
    status.phase = phase;
    upsertSearchAttributes([
      { key: namespaceSearchAttribute, value: namespace },
      { key: phaseSearchAttribute, value: phase },
    ]);
    publishDetails();
  };
  const publishDetails = () => {
    const lines = [`**${namespace}** — phase **${status.phase}**`, checksMarkdown(status.checks)];
    if (status.phase === 'awaiting-auth' && status.loginUrl) {
      const before = status.authDeadline ? ` before ${status.authDeadline}` : '';
      lines.push(`Log in: ${status.loginUrl}`, `Then send the request_token (signal \`requestToken\`)${before}.`);
    }
    const waiting = Object.entries(needsAuth).map(([service, why]) => `- ${service}: ${why}`);
    if (waiting.length > 0) lines.push('Waiting for a Zerodha login:', ...waiting);
    if (status.authError) lines.push(`Last token: ${status.authError}`);
    const services = Object.entries(status.services).map(([name, s]) => `- ${name}: ${s.state}`);
    if (services.length > 0) lines.push('Services:', ...services);
    if (status.failure) lines.push(`Failure: ${status.failure}`);
    setCurrentDetails(lines.join('\n\n'));
  };

  setHandler(statusQuery, snapshot);
  setHandler(shutdownSignal, () => {
    shutdownRequested = true;
  });
  setHandler(restartServiceSignal, (service) => {
    restartRequests.push(service);
  });
  setHandler(serviceStateSignal, (report) => {
    const key = instanceKey(report.service, report.instance);
    const workflowId = supervisorWorkflowId(namespace, report.service, report.instance);
    status.services[key] = { workflowId, state: report.state };
    if (report.needsAuth) needsAuth[key] = report.needsAuth;
    else delete needsAuth[key];
    publishDetails();
  });
  setHandler(requestTokenSignal, (token) => {
    pendingTokens.push(token);
  });
  setHandler(
    submitRequestTokenUpdate,
    async (token): Promise<TokenSubmissionResult> => {
      if (authenticated) return { accepted: true, message: 'already authenticated' };
      return tryRequestToken(token);
    },
    {
      validator: (token) => {
        if (status.phase !== 'awaiting-auth') throw new Error(`not waiting for a token (phase ${status.phase})`);
        if (!REQUEST_TOKEN_PATTERN.test(token)) throw new Error('malformed request_token: expected 6-64 letters and digits');
      },
    },
  );

  if (!input.resume) {
    enter('health-checks');
    await runHealthChecks();
    const failures = failedChecks(status.checks);
    if (failures.length > 0) return fail(healthReport(namespace, status.checks), 'HealthChecksFailed');

    if (status.checks.some((check) => check.outcome === 'pending')) {
      const timeoutSeconds = await checks.getAuthTimeoutSeconds.executeWithOptions(
        { ...checkOptions, summary: 'Read AUTH__TIMEOUT_SECONDS' },
        [],
      );
      const outcome = await awaitAuthentication(timeoutSeconds);
      if (outcome === 'stopped') return stop();
      if (outcome === 'timed-out') return fail(authTimeoutMessage(namespace, timeoutSeconds), 'AuthTimedOut');
    }

    if (shutdownRequested) return stop();

    try {
      enter('initializing');
      await init.runMigrations.executeWithOptions({ ...initOptions, summary: 'Apply database migrations' }, []);
      await init.bootstrapTopics.executeWithOptions({ ...initOptions, summary: 'Create Kafka topics' }, []);
      if (shutdownRequested) return stop();

      enter('starting-services');
      await startSupervisors();
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Whatever was started must not run on unsupervised by a failed startup.
      const failedPhase = status.phase;
      const stuck = await stopSupervisors(started);
      const left = stuck.length > 0 ? `; ${stuckMessage(stuck)}` : started.length > 0 ? `; stopped ${started.join(', ')}` : '';
      return fail(`Startup of '${namespace}' failed while ${failedPhase}: ${rootMessage(error)}${left}`, 'StartupFailed');
    }
  }

  enter('running');
  for (;;) {
    const sessionLost = () => Object.keys(needsAuth).length > 0;
    await condition(() => shutdownRequested || restartRequests.length > 0 || sessionLost() || workflowInfo().continueAsNewSuggested);
    if (shutdownRequested) break;
    if (sessionLost()) {
      // The Zerodha session ended (06:00 IST, or Kite refused it): back to awaiting-auth in this
      // same run, the services left running (they wait for the new session by themselves).
      if ((await awaitReauthentication()) === 'stopped') break;
      enter('running');
      continue;
    }
    for (const [service, instance] of supervised(restartRequests.splice(0))) {
      await getExternalWorkflowHandle(supervisorWorkflowId(namespace, service, instance)).signal(restartServiceSignal, service);
    }
    // The signals above await the server: a shutdown may have arrived meanwhile.
    if (shutdownRequested) break;
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof startupWorkflow>({
        ...input,
        resume: { checks: status.checks, services: status.services, needsAuth },
        pendingShutdown: shutdownRequested,
      });
    }
  }
  const stuck = await stopSupervisors(NAMESPACE_SERVICES);
  if (stuck.length > 0) return fail(`Shutdown of '${namespace}' incomplete: ${stuckMessage(stuck)}`, 'StopTimedOut');
  return stop();

  async function runHealthChecks(): Promise<void> {
    const planned: [string, () => Promise<CheckResult>][] = [
      ['postgres', () => checks.checkPostgres.executeWithOptions({ ...checkOptions, summary: 'Health: Postgres' }, [])],
      ['redis', () => checks.checkRedis.executeWithOptions({ ...checkOptions, summary: 'Health: Redis' }, [])],
      ['redpanda', () => checks.checkRedpanda.executeWithOptions({ ...checkOptions, summary: 'Health: Redpanda' }, [namespace])],
      [
        'zerodha-credentials',
        () => checks.checkZerodhaCredentials.executeWithOptions({ ...checkOptions, summary: 'Health: Zerodha credentials' }, [namespace]),
      ],
      [
        'active-strategies',
        () => checks.checkActiveStrategies.executeWithOptions({ ...checkOptions, summary: 'Health: active strategies' }, [namespace]),
      ],
      ['broker-api', () => checks.checkBrokerApi.executeWithOptions({ ...checkOptions, summary: 'Health: broker API' }, [namespace])],
      ['market-hours', () => checks.checkMarketHours.executeWithOptions({ ...checkOptions, summary: 'Health: market hours' }, [])],
    ];
    status.checks = planned.map(([name]) => ({ name, outcome: 'pending', detail: 'running' }));
    publishDetails();
    await Promise.all(
      planned.map(async ([name, run], index) => {
        let result: CheckResult;
        try {
          result = await run();
        } catch (error) {
          // The activity threw after its retries: the check failed; the cause says why.
          result = { name, outcome: 'failed', detail: rootMessage(error) };
        }
        status.checks[index] = result;
        publishDetails();
      }),
    );
  }

  async function awaitAuthentication(timeoutSeconds: number): Promise<'authenticated' | 'timed-out' | 'stopped'> {
    status.loginUrl = await auth.getLoginUrl.executeWithOptions({ ...checkOptions, summary: 'Compute Zerodha login URL' }, []);
    const deadline = Date.now() + timeoutSeconds * 1000;
    status.authDeadline = new Date(deadline).toISOString();
    enter('awaiting-auth');
    while (!authenticated) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return 'timed-out';
      const woke = await condition(
        () => pendingTokens.length > 0 || shutdownRequested || authenticated,
        Math.min(SESSION_POLL_MS, remaining),
        { summary: `Waiting for requestToken (deadline ${status.authDeadline})` },
      );
      if (shutdownRequested) return 'stopped';
      if (authenticated) break;
      if (woke) {
        await tryRequestToken(pendingTokens.shift()!);
      } else if (await checks.hasValidSession.executeWithOptions({ ...checkOptions, summary: 'Look for a stored session' }, [])) {
        // Another namespace's login stored a session meanwhile: one token unblocks both.
        authenticated = true;
      }
    }
    status.loginUrl = null;
    status.authError = null;
    markCheck('broker-api', 'passed', 'Zerodha session stored and verified');
    return 'authenticated';
  }

  /**
   * A session lost while running: waits, without a deadline (the 06:00 IST expiry comes hours
   * before anyone logs in), for a request_token that works, or for the services to find a session
   * stored meanwhile (another namespace's login, `alpha-panda auth` sent there).
   */
  async function awaitReauthentication(): Promise<'authenticated' | 'stopped'> {
    authenticated = false;
    // Tokens sent while running were not asked for, and are single-use and short-lived anyway.
    pendingTokens.splice(0);
    status.authError = null;
    status.authDeadline = null;
    status.loginUrl = await auth.getLoginUrl.executeWithOptions({ ...checkOptions, summary: 'Compute Zerodha login URL' }, []);
    markCheck('broker-api', 'pending', `Zerodha session lost: ${Object.values(needsAuth)[0]}; waiting for login`);
    enter('awaiting-auth');
    const servicesHaveSession = () => Object.keys(needsAuth).length === 0;
    for (;;) {
      await condition(() => pendingTokens.length > 0 || shutdownRequested || authenticated || servicesHaveSession());
      if (shutdownRequested) return 'stopped';
      if (servicesHaveSession()) break;
      if (!authenticated) {
        await tryRequestToken(pendingTokens.shift()!);
        continue;
      }
      // Logged in: the services read the store and report within seconds that they resumed.
      const resumed = await condition(() => shutdownRequested || servicesHaveSession(), SESSION_PICK_UP_MS, {
        summary: 'Waiting for the services to resume with the new session',
      });
      if (shutdownRequested) return 'stopped';
      if (resumed) break;
      // The new session did not help them (Kite refused it too, or they cannot read it): ask again.
      authenticated = false;
      status.authError = `logged in, but the services still wait (${Object.entries(needsAuth).map(([service, why]) => `${service}: ${why}`).join('; ')}); log in again`;
      publishDetails();
    }
    status.loginUrl = null;
    status.authError = null;
    markCheck('broker-api', 'passed', 'Zerodha session stored and verified');
    return 'authenticated';
  }

  /** Exchanges a token in an activity; only whether it worked (and why not) enters history. */
  async function tryRequestToken(token: string): Promise<TokenSubmissionResult> {
    const result = await auth.exchangeRequestToken.executeWithOptions(
      { startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 }, summary: 'Exchange Zerodha request_token' },
      [token],
    );
    if (result.accepted) authenticated = true;
    else status.authError = result.message;
    publishDetails();
    return result;
  }

  async function startSupervisors(): Promise<void> {
    for (const [service, instance] of supervised(['market-feed', ...NAMESPACE_SERVICES])) {
      const workflowId = supervisorWorkflowId(namespace, service, instance);
      const key = instanceKey(service, instance);
      const shared = service === 'market-feed';
      try {
        await startChild(SUPERVISOR_WORKFLOW_TYPE, {
          workflowId,
          args: [
            {
              namespace,
              service,
              ...(instance > 1 ? { instance } : {}),
              reportTo: shared ? otherStartupIds() : [workflowInfo().workflowId],
            },
          ],
          // Supervisors outlive this run (continue-as-new) and the shared feed outlives the namespace:
          // they are stopped by explicit shutdown signals, never by the parent closing.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          staticSummary: `${service}${instance > 1 ? ` #${instance}` : ''} (${shared ? 'shared' : namespace})`,
        });
        status.services[key] = { workflowId, state: 'starting' };
        if (!shared && instance === 1) started.push(service);
      } catch (error) {
        // The shared feed is already running for the other namespace (or this is a replay after a
        // worker crash): attach to it instead of starting a duplicate.
        if (!isAlreadyStarted(error)) throw error;
        status.services[key] = { workflowId, state: 'running' };
      }
      publishDetails();
      // A shutdown that arrived meanwhile: start no more; the caller stops what was started.
      if (shutdownRequested) return;
    }
  }

  /**
   * Signals the supervisors of `services` to stop and waits for them to report it; returns the
   * services that did not stop in time (they may still be running: the caller fails loudly).
   */
  async function stopSupervisors(services: readonly ServiceName[]): Promise<(readonly [ServiceName, number])[]> {
    const instances = supervised(services);
    enterStopping(instances);
    for (const [service, instance] of instances) {
      try {
        await getExternalWorkflowHandle(supervisorWorkflowId(namespace, service, instance)).signal(shutdownSignal);
      } catch (error) {
        if (isCancellation(error)) throw error;
        // The supervisor has already finished: nothing to stop.
        status.services[instanceKey(service, instance)] = { workflowId: supervisorWorkflowId(namespace, service, instance), state: 'stopped' };
      }
    }
    const settled = ([service, instance]: readonly [ServiceName, number]) =>
      ['stopped', 'failed'].includes(status.services[instanceKey(service, instance)]?.state ?? 'stopped');
    await condition(() => instances.every(settled), stopTimeoutMs);
    return instances.filter((entry) => !settled(entry));
  }

  function stuckMessage(stuck: readonly (readonly [ServiceName, number])[]): string {
    const states = stuck.map(([service, instance]) => `${instanceKey(service, instance)} (${status.services[instanceKey(service, instance)]?.state ?? 'unknown'})`);
    const workflowIds = stuck.map(([service, instance]) => supervisorWorkflowId(namespace, service, instance));
    return (
      `services did not stop within ${Math.round(stopTimeoutMs / 1000)} seconds: ${states.join(', ')}. ` +
      `They may still be running: check their supervisors (${workflowIds.join(', ')}) in the Web UI.`
    );
  }

  function enterStopping(instances: readonly (readonly [ServiceName, number])[]) {
    for (const [service, instance] of instances) {
      const key = instanceKey(service, instance);
      const current = status.services[key];
      if (current && current.state !== 'stopped') status.services[key] = { ...current, state: 'stopping' };
    }
    publishDetails();
  }

  function otherStartupIds(): string[] {
    return [startupWorkflowId('paper'), startupWorkflowId('zerodha')];
  }

  function markCheck(name: string, outcome: CheckResult['outcome'], detail: string) {
    status.checks = status.checks.map((check) => (check.name === name ? { name, outcome, detail } : check));
  }

  function fail(message: string, type: string): never {
    status.failure = message;
    enter('failed');
    throw ApplicationFailure.nonRetryable(message, type, { checks: status.checks });
  }

  function stop(): StartupStatus {
    enter('stopped');
    return snapshot();
  }
}

function rootMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message ?? String(error);
}

function isAlreadyStarted(error: unknown): boolean {
  return (error as { name?: string })?.name === 'WorkflowExecutionAlreadyStartedError';
}
