// `alpha-panda worker` hosts workflows and activities; `alpha-panda api` serves the HTTP API;
// `alpha-panda run` does everything a user needs to see a namespace trading.
import type { Command } from 'commander';
import { loadMarketCalendarOrExit } from '../../core/calendar/load';
import { loadConfigOrExit, type Config } from '../../core/config/load';
import { configureLogging, getLogger } from '../../core/logging';
import { connectClient } from '../../api/operations';
import { startApi } from '../../api/server';
import { Resources } from '../../core/resources';
import { installRuntime } from '../../workers/runtime';
import { createServiceFactory } from '../../workers/services';
import { createWorker } from '../../workers/worker';
import { runApplication } from '../run';
import { namespaceOption } from './control';
import { ALL_SERVICES, isServiceName, type BrokerNamespace, type ServiceName } from '../../core/domain/namespace';
import { InvalidArgumentError } from 'commander';

export function registerAppCommands(program: Command): void {
  program
    .command('worker')
    .description('host the workflows and activities on the alpha-panda task queue, and the services given (stops gracefully on SIGINT/SIGTERM)')
    .option(
      '--services <names>',
      `comma-separated services this worker runs, on their own task queues (default all: ${ALL_SERVICES.join(',')})`,
      parseServices,
      ALL_SERVICES,
    )
    .option('--quiet', 'only warnings and errors on the console (the log files keep LOG_LEVEL)')
    .action(async (options: { services: readonly ServiceName[]; quiet?: boolean }) => {
      const config = setUp(options.quiet ? 'warn' : undefined);
      // SIGINT/SIGTERM stop the services at once (they flush and commit, and their supervisors
      // move them to another worker), then the worker drains and every connection is closed.
      installRuntime({ handleSignals: false });
      // One set of connections for the activities and the services, closed together when the
      // worker stops (services built on a set of their own kept the process alive after it).
      const resources = new Resources(config);
      const running = await createWorker({ config, resources, services: options.services, createService: createServiceFactory(config, resources) });
      const stop = (signal: NodeJS.Signals | 'parent gone') => {
        getLogger().info({ signal }, 'worker stopping');
        running.shutdown();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Started by `run` (over an IPC channel): a worker must not outlive the run that owns it.
      if (process.send) process.once('disconnect', () => stop('parent gone'));
      getLogger().info(
        { taskQueue: running.worker.options.taskQueue, services: options.services, namespace: config.temporal.namespace },
        'worker started',
      );
      await running.run();
      getLogger().info('worker stopped');
      // An open IPC channel would keep this process alive after its worker stopped.
      if (process.connected) process.disconnect();
    });

  program
    .command('api')
    .description('serve the HTTP API under /api/v1 (OpenAPI at /openapi.json; bearer token API__TOKEN, generated when unset)')
    .action(async () => {
      const config = setUp();
      const client = await connectClient(config);
      const { url, token, generatedToken } = await startApi(config, client);
      process.stdout.write(`API listening on ${url} (OpenAPI: ${url}/openapi.json, docs: ${url}/docs)\n`);
      // Printed once for the user to copy; never logged.
      if (generatedToken) process.stdout.write(`API token for this start (API__TOKEN unset): ${token}\n`);
    });

  program
    .command('run')
    .description('start the local stack, the workers (two processes), the API and a namespace, and show its startup live')
    .addOption(namespaceOption())
    .option('--no-infra', 'do not start the local infrastructure (it is already running elsewhere)')
    .option('--processes <n>', 'worker processes: 1 runs every service here, 2 moves the risk manager, trading engine, portfolio manager and monitor to a second one', parseProcesses, 2)
    .action(async (options: { namespace: BrokerNamespace; infra: boolean; processes: 1 | 2 }) => {
      // The console shows the startup's progress; the full logs go to LOG_DIR.
      const config = setUp('warn');
      await runApplication(config, options);
      // Everything is stopped and closed by now; a library timer or socket left behind must not
      // keep the user's terminal waiting.
      process.exit(process.exitCode ?? 0);
    });
}

function parseServices(value: string): ServiceName[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !isServiceName(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected service names out of ${ALL_SERVICES.join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  return [...new Set(names as ServiceName[])];
}

function parseProcesses(value: string): 1 | 2 {
  if (value !== '1' && value !== '2') throw new InvalidArgumentError('expected 1 or 2');
  return Number(value) as 1 | 2;
}

function setUp(consoleLevel?: 'warn'): Config {
  const config = loadConfigOrExit();
  // Calendar files are configuration too: a bad one stops the program here, not a check later.
  loadMarketCalendarOrExit(config);
  configureLogging({ level: config.logLevel, dir: config.logDir, console: true, consoleLevel });
  return config;
}
