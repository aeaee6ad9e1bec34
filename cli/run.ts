// `alpha-panda run`: local stack up, database ready, a worker and the API in this process, the
// namespace's startup workflow started (or attached to), and its progress shown live. Ctrl-C
// stops the namespace cleanly (services flush and commit), then the workers and the API.
// With two processes (the default) a second worker, `alpha-panda worker --services ...`, hosts
// the later stages, so the pipeline uses two cores; Temporal places each service on the worker
// that polls its queue.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Config } from '../core/config/load';
import { ALL_SERVICES, type BrokerNamespace, type ServiceName } from '../core/domain/namespace';
import { migrateDatabase } from '../core/postgres/migrate';
import { postgresConnectionConfig } from '../core/postgres/ssl';
import { createPool } from '../core/postgres/pool';
import { seedDatabase } from '../core/postgres/seed';
import { configuredInstances, connectClient, readServices, readStatus, startNamespace, stopNamespace, submitRequestToken, webUiWorkflowUrl } from '../api/operations';
import { startApi } from '../api/server';
import { installRuntime } from '../workers/runtime';
import { Resources } from '../core/resources';
import { createServiceFactory } from '../workers/services';
import { createWorker } from '../workers/worker';
import { startupWorkflowId, TASK_QUEUE, type StartupPhase, type StartupStatus } from '../workflows/definitions';
import { formatCheck, formatServices } from './format';

const POLL_MS = 1_000;
const SERVICE_SUMMARY_EVERY_MS = 15_000;
/** The second worker's grace time and then some: past it, it is killed. */
const SECOND_WORKER_STOP_MS = 20_000;
const say = (line: string) => process.stdout.write(`${line}\n`);

/** With two processes, these run in the second worker; the feed and the runner stay here. */
export const SECOND_WORKER_SERVICES: readonly ServiceName[] = ['risk-manager', 'trading-engine', 'portfolio-manager', 'pipeline-monitor'];

export async function runApplication(
  config: Config,
  options: { namespace: BrokerNamespace; infra: boolean; processes?: 1 | 2 },
): Promise<void> {
  const { namespace } = options;
  // When our output goes to a pipe that closes (`run | tee` and Ctrl-C), keep going: stopping
  // cleanly matters more than printing about it.
  process.stdout.on('error', () => undefined);
  if (options.infra) await runChild(['infra', 'up'], 'starting the local stack');
  await prepareDatabase(config, namespace);

  installRuntime({ handleSignals: false });
  // One set of connections for activities and services, closed together when the worker stops.
  const resources = new Resources(config);
  const split = (options.processes ?? 2) === 2;
  const services = split ? ALL_SERVICES.filter((service) => !SECOND_WORKER_SERVICES.includes(service)) : ALL_SERVICES;
  const worker = await createWorker({ config, resources, services, createService: createServiceFactory(config, resources) });
  const workerDone = worker.run();
  const second = split ? startSecondWorker(SECOND_WORKER_SERVICES) : undefined;
  if (second) say(`Worker processes: this one (${services.join(', ')}) and pid ${second.child.pid} (${SECOND_WORKER_SERVICES.join(', ')}).`);
  const client = await connectClient(config);
  const api = await startApi(config, client).catch((error: Error) => {
    say(`! API not started on ${config.api.host}:${config.api.port}: ${error.message}`);
    return undefined;
  });

  const start = await startNamespace(client, namespace, TASK_QUEUE, configuredInstances(config));
  say(`${start.started ? 'Started' : 'Attached to'} workflow ${start.workflowId}`);
  say(`  Web UI: ${webUiWorkflowUrl(config, startupWorkflowId(namespace))}`);
  if (api) {
    say(`  Dashboard: ${api.url}/   (API: ${api.url}/api/v1/namespaces/${namespace}/status, docs: ${api.url}/docs)`);
    // Printed once, here, for the user to copy; it never goes to a log.
    if (api.generatedToken) say(`  API token for this run (API__TOKEN unset): ${api.token}`);
    else if (!api.token) say('  API token: none (AUTH__ENABLE_USER_AUTH=false)');
  }
  say('  Ctrl-C stops the namespace cleanly.');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    if (stopping) {
      // The second worker goes too: detached, it would otherwise outlive the run for as long as
      // its own stop takes (unbounded while the stack is down). Every stage commits effectively
      // once, so a kill loses nothing.
      if (second && second.child.exitCode === null && second.child.signalCode === null) {
        second.child.kill('SIGKILL');
        say(`Forced exit (second worker, pid ${second.child.pid}, killed).`);
      } else say('Forced exit.');
      process.exit(130);
    }
    say(`\nStopping '${namespace}' (services flush and commit)... press Ctrl-C again to force.`);
    stopping = stopNamespace(client, namespace).then(
      ({ feedStopped }) => {
        if (feedStopped) say('The shared market feed stopped too (no other namespace is running).');
      },
      (error: Error) => {
        say(`! stop: ${error.message}`);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const outcome = await watch(client, namespace, () => stopping !== undefined);
  // The namespace may show `stopped` before the shared feed has been stopped: our worker runs it.
  await stopping;
  await api?.app.close();
  worker.shutdown();
  second?.child.kill('SIGTERM');
  await Promise.all([workerDone, second && stopWithin(second, SECOND_WORKER_STOP_MS)]);
  await client.connection.close();
  say(outcome === 'failed' ? 'Startup failed (see above).' : 'Stopped.');
  if (outcome === 'failed') process.exitCode = 1;
}

/** Prints phase changes, check results and service states until the workflow ends. */
async function watch(client: Client, namespace: BrokerNamespace, isStopping: () => boolean) {
  let phase: StartupPhase | undefined;
  const printedChecks = new Map<string, string>();
  let lastSummary = 0;
  /** Set while the request_token prompt is open; aborting closes it. */
  let prompt: AbortController | undefined;
  for (;;) {
    const status = await readStatus(client, namespace).catch(() => undefined);
    if (status) {
      if (status.phase !== phase) {
        phase = status.phase;
        say(`[${new Date().toISOString()}] ${namespace}: ${phase}`);
      }
      for (const check of status.checks) {
        const line = formatCheck(check);
        if (check.outcome !== 'pending' && printedChecks.get(check.name) !== line) {
          printedChecks.set(check.name, line);
          say(line);
        }
      }
      if (status.phase === 'awaiting-auth' && !prompt) {
        // Once per stay in awaiting-auth: the phase may outlast an accepted token by a few seconds.
        prompt = new AbortController();
        void promptForToken(client, namespace, status, prompt.signal);
      } else if (status.phase !== 'awaiting-auth' && prompt) {
        // The token came another way (alpha-panda auth, the API, the other namespace's login).
        prompt.abort();
        prompt = undefined;
      }
      if (status.phase === 'running' && Date.now() - lastSummary >= SERVICE_SUMMARY_EVERY_MS) {
        lastSummary = Date.now();
        say(formatServices(await readServices(client, namespace)));
      }
      if (status.phase === 'failed') {
        say(status.failure ?? 'failed');
        return 'failed' as const;
      }
      if (status.phase === 'stopped' || status.execution !== 'RUNNING') return 'stopped' as const;
    }
    await sleep(isStopping() ? POLL_MS / 2 : POLL_MS);
  }
}

async function promptForToken(client: Client, namespace: BrokerNamespace, status: StartupStatus, signal: AbortSignal) {
  say(`Log in to Zerodha: ${status.loginUrl}`);
  say(status.authDeadline ? `Then send the request_token before ${status.authDeadline}:` : 'The Zerodha session was lost (06:00 IST expiry, or Kite refused it); the services wait. Send a new request_token:');
  say(`  alpha-panda auth --namespace ${namespace} --request-token <token>   (or POST /api/v1/auth/request-token)`);
  if (!process.stdin.isTTY) return;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  // readline takes Ctrl-C for itself while it reads: hand it on, so that it still stops the run.
  rl.on('SIGINT', () => {
    rl.close();
    process.emit('SIGINT');
  });
  try {
    for (;;) {
      const token = (await rl.question('request_token> ', { signal })).trim();
      if (token === '') continue;
      const result = await submitRequestToken(client, namespace, token);
      say(`${result.accepted ? 'Accepted' : 'Rejected'}: ${result.message}`);
      if (result.accepted) return;
    }
  } catch {
    // stdin closed or the workflow moved on: the other ways to send the token still work.
  } finally {
    rl.close();
  }
}

/** Migrations, and sample data when the namespace has no strategies yet (a fresh machine). */
async function prepareDatabase(config: Config, namespace: BrokerNamespace): Promise<void> {
  const applied = await migrateDatabase(postgresConnectionConfig(config));
  if (applied.length > 0) say(`Database: applied ${applied.length} migration(s).`);
  const pool = createPool(config);
  try {
    const { rows } = await pool.query<{ count: number }>('select count(*) from strategy_configurations where namespace = $1', [namespace]);
    if ((rows[0]?.count ?? 0) === 0) {
      const seeded = await seedDatabase(pool);
      say(`Database: no strategies for '${namespace}' yet, seeded the samples (${JSON.stringify(seeded)}).`);
    }
  } finally {
    await pool.end();
  }
}

/**
 * `alpha-panda worker --services ...` in a process group of its own, so that Ctrl-C reaches only
 * this process, which stops the namespace before it stops the worker; over the IPC channel the
 * worker notices if this process dies and stops too. Its warnings show here, its logs go to LOG_DIR.
 */
function startSecondWorker(services: readonly ServiceName[]): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(
    process.execPath,
    [new URL('../bin/alpha-panda.mjs', import.meta.url).pathname, 'worker', '--quiet', '--services', services.join(',')],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    if (child.exitCode !== 0 && child.signalCode !== 'SIGTERM') say(`! the second worker (pid ${child.pid}) exited (${child.exitCode ?? child.signalCode}): see the logs in LOG_DIR`);
  });
  return { child, exited };
}

async function stopWithin(worker: { child: ChildProcess; exited: Promise<void> }, ms: number): Promise<void> {
  const timer = setTimeout(() => {
    say(`! the second worker (pid ${worker.child.pid}) did not stop within ${ms / 1000} s: killed`);
    worker.child.kill('SIGKILL');
  }, ms);
  await worker.exited;
  clearTimeout(timer);
}

function runChild(args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('../bin/alpha-panda.mjs', import.meta.url).pathname, ...args], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code})`))));
  });
}
