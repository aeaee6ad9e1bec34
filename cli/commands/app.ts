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
import type { BrokerNamespace } from '../../core/domain/namespace';

export function registerAppCommands(program: Command): void {
  program
    .command('worker')
    .description('host the workflows and activities on the alpha-panda task queue (stops gracefully on SIGINT/SIGTERM)')
    .action(async () => {
      const config = setUp();
      // SIGINT/SIGTERM stop the services at once (they flush and commit, and their supervisors
      // move them to another worker), then the worker drains and every connection is closed.
      installRuntime({ handleSignals: false });
      // One set of connections for the activities and the services, closed together when the
      // worker stops (services built on a set of their own kept the process alive after it).
      const resources = new Resources(config);
      const running = await createWorker({ config, resources, createService: createServiceFactory(config, resources) });
      const stop = (signal: NodeJS.Signals) => {
        getLogger().info({ signal }, 'worker stopping');
        running.shutdown();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      getLogger().info({ taskQueue: running.worker.options.taskQueue, namespace: config.temporal.namespace }, 'worker started');
      await running.run();
      getLogger().info('worker stopped');
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
    .description('start the local stack, a worker, the API and a namespace, and show its startup live')
    .addOption(namespaceOption())
    .option('--no-infra', 'do not start the local infrastructure (it is already running elsewhere)')
    .action(async (options: { namespace: BrokerNamespace; infra: boolean }) => {
      // The console shows the startup's progress; the full logs go to LOG_DIR.
      const config = setUp('warn');
      await runApplication(config, options);
      // Everything is stopped and closed by now; a library timer or socket left behind must not
      // keep the user's terminal waiting.
      process.exit(process.exitCode ?? 0);
    });
}

function setUp(consoleLevel?: 'warn'): Config {
  const config = loadConfigOrExit();
  // Calendar files are configuration too: a bad one stops the program here, not a check later.
  loadMarketCalendarOrExit(config);
  configureLogging({ level: config.logLevel, dir: config.logDir, console: true, consoleLevel });
  return config;
}
