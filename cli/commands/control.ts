// `alpha-panda status | auth | stop`: talk to a running namespace through Temporal.
import { Option, type Command } from 'commander';
import type { Client } from '@temporalio/client';
import { getConfig, loadConfigOrExit, type Config } from '../../core/config/load';
import { BROKER_NAMESPACES, type BrokerNamespace } from '../../core/domain/namespace';
import {
  assertWorkerPolling,
  connectClient,
  NoWorkerError,
  NotRunningError,
  readServices,
  readStatus,
  statusNeedsWorker,
  stopNamespace,
  submitRequestToken,
  webUiWorkflowUrl,
} from '../../api/operations';
import { startupWorkflowId } from '../../workflows/definitions';
import { formatServices, formatStatus } from '../format';

/** Connects to Temporal, or says in one line that it does not answer and returns undefined. */
async function connectOrSay(config: Config): Promise<Client | undefined> {
  try {
    return await connectClient(config);
  } catch (error) {
    process.stderr.write(
      `Temporal does not answer at ${config.temporal.address} (${oneLine(error)}): start it with 'alpha-panda infra up'\n`,
    );
    process.exitCode = 1;
    return undefined;
  }
}

/**
 * The namespace's kill switch, which halts new exposure in the risk manager and the trading
 * engine; read from Redis with a short timeout, so an unreachable Redis costs `status` a second.
 */
async function readKillSwitchLine(config: Config, namespace: BrokerNamespace): Promise<{ active: boolean | null; reason: string | null; text: string }> {
  const [{ Redis }, { readKillSwitch }, { describeKillSwitch }] = await Promise.all([
    import('ioredis'),
    import('../../core/redis/kill-switch'),
    import('./risk'),
  ]);
  const redis = new Redis(config.redis.url, { lazyConnect: true, connectTimeout: 1_000, commandTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported by the failed read below
  try {
    await redis.connect();
    const status = await readKillSwitch(redis, namespace);
    return { active: status.active, reason: status.reason, text: describeKillSwitch(namespace, status) };
  } catch (error) {
    return { active: null, reason: null, text: `Kill switch of '${namespace}': unknown (Redis does not answer: ${oneLine(error)})` };
  } finally {
    redis.disconnect();
  }
}

const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * The namespace a command acts on unless told otherwise: the configuration's BROKER_NAMESPACE.
 * A configuration that does not load is reported by the command's own loadConfigOrExit; the
 * first namespace only keeps the option valid until then.
 */
function configuredNamespace(): BrokerNamespace {
  try {
    return getConfig().brokerNamespace;
  } catch {
    return BROKER_NAMESPACES[0];
  }
}

export const namespaceOption = () => {
  const namespace = configuredNamespace();
  return new Option('-n, --namespace <namespace>', 'broker namespace')
    .choices(BROKER_NAMESPACES)
    .default(namespace, `${namespace}, from BROKER_NAMESPACE`);
};

export function registerControlCommands(program: Command): void {
  program
    .command('status')
    .description('show the phase, health checks and services of a namespace')
    .addOption(namespaceOption())
    .option('--json', 'print JSON')
    .action(async (options: { namespace: BrokerNamespace; json?: boolean }) => {
      const config = loadConfigOrExit();
      const client = await connectOrSay(config);
      if (!client) return;
      try {
        // Queries are answered by a worker: without one they hang and then fail with a server
        // error. Say so in one line instead. A stopped namespace is read from its history.
        if (await statusNeedsWorker(client, options.namespace)) await assertWorkerPolling(client);
        const [status, services] = await Promise.all([
          readStatus(client, options.namespace),
          readServices(client, options.namespace),
        ]);
        const killSwitch = await readKillSwitchLine(config, options.namespace);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...status, supervisors: services, killSwitch }, null, 2)}\n`);
        } else {
          process.stdout.write(`${formatStatus(status)}\n${formatServices(services)}\n  ${killSwitch.text}\n`);
          process.stdout.write(`Web UI: ${webUiWorkflowUrl(config, startupWorkflowId(options.namespace))}\n`);
        }
      } catch (error) {
        if (error instanceof NotRunningError) {
          process.stderr.write(`${error.message}: start it with 'alpha-panda run --namespace ${options.namespace}'\n`);
        } else if (error instanceof NoWorkerError) {
          process.stderr.write(`Cannot read the status of '${options.namespace}': ${error.message}\n`);
        } else {
          process.stderr.write(`Cannot read the status of '${options.namespace}': ${oneLine(error)}\n`);
        }
        process.exitCode = 1;
      } finally {
        await client.connection.close();
      }
    });

  const auth = program
    .command('auth')
    .description('hand the Zerodha request_token to a waiting namespace (prints whether it worked)')
    .addOption(namespaceOption().default('zerodha'))
    .option('-t, --request-token <token>', 'the request_token from the redirect after logging in')
    .action(async (options: { namespace: BrokerNamespace; requestToken?: string }) => {
      if (!options.requestToken) {
        auth.help({ error: true });
      }
      const config = loadConfigOrExit();
      const client = await connectClient(config);
      try {
        const result = await submitRequestToken(client, options.namespace, options.requestToken!);
        const out = result.accepted ? process.stdout : process.stderr;
        out.write(`${result.accepted ? 'Accepted' : 'Rejected'}: ${result.message}\n`);
        if (!result.accepted) process.exitCode = 1;
      } catch (error) {
        if (!(error instanceof NotRunningError)) throw error;
        process.stderr.write(`Rejected: ${error.message}: start it with 'alpha-panda run --namespace ${options.namespace}'\n`);
        process.exitCode = 1;
      } finally {
        await client.connection.close();
      }
    });

  auth
    .command('login-url')
    .description('print the Zerodha login URL')
    .action(async () => {
      const config = loadConfigOrExit();
      if (!config.zerodha.enabled) {
        process.stderr.write('Zerodha is disabled (ZERODHA__ENABLED=false): mock mode needs no login.\n');
        process.exitCode = 1;
        return;
      }
      // Imported here: the Kite client it brings costs every other command's start.
      const { loginUrl } = await import('../../core/broker/auth');
      process.stdout.write(`${loginUrl(config)}\n`);
    });

  program
    .command('stop')
    .description('stop a namespace: services flush and commit, then the startup workflow completes')
    .addOption(namespaceOption())
    .action(async (options: { namespace: BrokerNamespace }) => {
      const config = loadConfigOrExit();
      const client = await connectClient(config);
      try {
        process.stdout.write(`Stopping '${options.namespace}'...\n`);
        const { feedStopped } = await stopNamespace(client, options.namespace);
        process.stdout.write(`Stopped '${options.namespace}'${feedStopped ? ' and the shared market feed' : ''}.\n`);
      } catch (error) {
        if (!(error instanceof NoWorkerError)) throw error;
        process.stderr.write(`Cannot stop '${options.namespace}' now: ${error.message}\n`);
        process.exitCode = 1;
      } finally {
        await client.connection.close();
      }
    });
}
