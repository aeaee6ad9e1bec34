// `alpha-panda worker` hosts workflows and activities; `alpha-panda api` serves the HTTP API;
// `alpha-panda run` does everything a user needs to see a namespace trading.
import type { Command } from 'commander';
import { loadMarketCalendarOrExit } from '../../core/calendar/load';
import { loadConfigOrExit, type Config } from '../../core/config/load';
import { configureLogging, getLogger } from '../../core/logging';
import { connectClient } from '../../api/operations';
import { startApi } from '../../api/server';
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
      installRuntime();
      const running = await createWorker({ config, createService: createServiceFactory(config) });
      getLogger().info({ taskQueue: running.worker.options.taskQueue, namespace: config.temporal.namespace }, 'worker started');
      // The Temporal runtime turns SIGINT/SIGTERM into a graceful shutdown: activities are
      // cancelled, services flush and commit, then run() resolves.
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
